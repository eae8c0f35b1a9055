"""Antivirus scanning of attachments by a ClamAV daemon (clamd).

The client speaks clamd's socket protocol directly (no extra library; commands and
replies as in services.common.clamd): ``zINSTREAM`` sends the bytes as chunks, each
prefixed by its length (4 bytes, big-endian), ended by a zero-length chunk; clamd
replies ``stream: OK`` or ``stream: <Signature> FOUND``. Under `nameko test` and in
the services the socket module is eventlet's, so a scan waits without blocking other
workers.

Fail closed: when clamd cannot be reached, or is not configured at all,
``scan`` raises ``ScannerUnavailable`` and the caller stores nothing.

Configuration (``from_env``, see ``settings``): EP_CLAMD_SOCKET (Unix socket, preferred)
or EP_CLAMD_HOST and EP_CLAMD_PORT (3310), EP_CLAMD_TIMEOUT (30 s per scan).
"""
import functools
import logging
import socket
import struct
from dataclasses import dataclass

from nameko.extensions import DependencyProvider

from services.common import clamd
from services.common.metrics import SCANS, Gauge
from services.requests import settings

log = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    signature: str | None = None   # the malware name when not clean


class ScannerUnavailable(Exception):
    """The scan could not be done (clamd down, unreachable, unconfigured, refused the stream)."""


def _counted(scan):
    """Each scan counted by its result (services.common.metrics.SCANS): clean, infected, unavailable."""

    @functools.wraps(scan)
    def counted(self, data: bytes) -> ScanResult:
        try:
            result = scan(self, data)
        except ScannerUnavailable:
            SCANS.labels("unavailable").inc()
            raise
        SCANS.labels("clean" if result.clean else "infected").inc()
        return result

    return counted


class ClamdScanner:
    def __init__(self, socket_path: str | None = None, host: str | None = None, port: int = 3310,
                 timeout: float = 30):
        if not socket_path and not host:
            raise ValueError("ClamdScanner: socket_path ou host est requis")
        self.socket_path = socket_path
        self.host = host
        self.port = int(port)
        self.timeout = timeout

    def __repr__(self):
        where = self.socket_path or f"{self.host}:{self.port}"
        return f"ClamdScanner({where})"

    def _connect(self) -> socket.socket:
        try:
            return clamd.connect(self.socket_path, self.host, self.port, self.timeout)
        except OSError as exc:
            raise ScannerUnavailable(f"clamd injoignable ({self!r}) : {exc}") from exc

    def _command(self, command: bytes) -> str:
        with self._connect() as sock:
            try:
                return clamd.ask(sock, command)
            except OSError as exc:
                raise ScannerUnavailable(f"clamd ({self!r}) : {exc}") from exc

    def ping(self) -> bool:
        """True when clamd answers ``PONG`` (for health checks; never raises)."""
        try:
            return self._command(b"PING") == "PONG"
        except ScannerUnavailable:
            return False

    def version(self) -> str:
        return self._command(b"VERSION")

    @_counted
    def scan(self, data: bytes) -> ScanResult:
        with self._connect() as sock:
            sent_error = None
            try:
                sock.sendall(b"zINSTREAM\0")
                view = memoryview(data)
                for start in range(0, len(view), CHUNK_SIZE):
                    chunk = view[start:start + CHUNK_SIZE]
                    sock.sendall(struct.pack(">I", len(chunk)))
                    sock.sendall(chunk)
                sock.sendall(struct.pack(">I", 0))
            except OSError as exc:
                # clamd may close the stream early (size limit) after writing why: read it.
                sent_error = exc
            try:
                reply = clamd.read_reply(sock)
            except OSError as exc:
                raise ScannerUnavailable(f"clamd ({self!r}) : {sent_error or exc}") from exc
        return self._parse(reply, sent_error)

    def _parse(self, reply: str, sent_error: OSError | None = None) -> ScanResult:
        if "size limit exceeded" in reply:
            raise ScannerUnavailable(
                f"clamd ({self!r}) refuse le fichier : taille supérieure à sa limite "
                f"StreamMaxLength (réponse : {reply!r}). Augmentez StreamMaxLength dans "
                "clamd.conf au-dessus de EP_ATTACHMENT_MAX_BYTES."
            )
        if reply == "stream: OK":
            return ScanResult(clean=True)
        if reply.startswith("stream: ") and reply.endswith(" FOUND"):
            return ScanResult(clean=False, signature=reply[len("stream: "):-len(" FOUND")].strip())
        detail = f" ; envoi interrompu : {sent_error}" if sent_error else ""
        raise ScannerUnavailable(f"clamd ({self!r}) : réponse inattendue {reply!r}{detail}")


class UnconfiguredScanner:
    """No clamd configured: every scan fails, so no file is ever accepted unscanned."""

    def __repr__(self):
        return "UnconfiguredScanner()"

    def ping(self) -> bool:
        return False

    @_counted
    def scan(self, data: bytes) -> ScanResult:
        raise ScannerUnavailable(
            "aucun antivirus configuré (EP_CLAMD_SOCKET ou EP_CLAMD_HOST) : fichier refusé"
        )


def from_env():
    timeout = settings.clamd_timeout()
    socket_path = settings.clamd_socket()
    if socket_path:
        return ClamdScanner(socket_path=socket_path, timeout=timeout)
    host = settings.clamd_host()
    if host:
        return ClamdScanner(host=host, port=settings.clamd_port(), timeout=timeout)
    log.warning("Aucun antivirus configuré (EP_CLAMD_SOCKET / EP_CLAMD_HOST) : "
                "toute pièce jointe sera refusée.")
    return UnconfiguredScanner()


def clamd_probe(session):
    """Metrics (services.common.metrics): whether the configured clamd answers, measured at each scrape."""
    yield Gauge("ep_clamd_up", "L'antivirus (clamd) répond (1) ou non (0)", {}, float(from_env().ping()))


class Scanner(DependencyProvider):
    """Injects the scanner configured from the environment (read when the container starts)."""

    def setup(self):
        self.scanner = from_env()

    def get_dependency(self, worker_ctx):
        return self.scanner

    def ready_check(self) -> dict:
        """The readiness probe's clamd check (services.common.probes): PING answered within 2 s."""
        scanner = self.scanner
        if isinstance(scanner, ClamdScanner):
            scanner = ClamdScanner(scanner.socket_path, scanner.host, scanner.port, timeout=2)
        return {"clamd": scanner.ping()}
