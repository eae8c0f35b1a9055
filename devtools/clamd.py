"""A private ClamAV daemon (clamd) for development and the tests.

It runs from a temporary folder with its own configuration: a Unix socket
there (no TCP), and a signature database holding only the EICAR test
signature, so it starts in about a second, offline. freshclam is never run:
no download, the real signatures are a production concern (the requests
service is then pointed at the production clamd with EP_CLAMD_SOCKET or
EP_CLAMD_HOST/EP_CLAMD_PORT).

    clamd = Clamd()
    clamd.start()              # waits until the socket answers PING
    ... EP_CLAMD_SOCKET=clamd.socket_path ...
    clamd.stop()

    python -m devtools.clamd   # runs one in the foreground, Ctrl-C stops it

The Debian package's own daemon (clamav-daemon.service, /etc/clamav) is not
used: only the clamd binary is.
"""
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from services.common import clamd as protocol

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
"""The standard 68-byte antivirus test string (harmless; every antivirus flags it)."""

EICAR_SIGNATURE = "Eicar-Test-Signature"

CANDIDATES = ("/usr/sbin/clamd", "/usr/local/sbin/clamd", "/usr/bin/clamd", "/usr/local/bin/clamd")


def clamd_binary() -> str:
    """Path of the clamd executable (Debian: package clamav-daemon, /usr/sbin/clamd)."""
    for path in CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    found = shutil.which("clamd")
    if found:
        return found
    raise RuntimeError(
        "clamd est introuvable (/usr/sbin/clamd). Installez le paquet clamav-daemon "
        "(sudo apt-get install clamav-daemon) ; `make test` et `make run` le font."
    )


def eicar_hdb_line() -> str:
    """The hash-signature line (`md5:size:name`) matching the EICAR string exactly."""
    return f"{hashlib.md5(EICAR, usedforsecurity=False).hexdigest()}:{len(EICAR)}:{EICAR_SIGNATURE}\n"


class Clamd:
    """One clamd process with its configuration in a private temporary folder."""

    def __init__(self, start_timeout: float = 60.0, stream_max_length: str = "20M"):
        self.start_timeout = start_timeout
        self.stream_max_length = stream_max_length
        self.directory: Path | None = None
        self.process: subprocess.Popen | None = None
        self.started_in: float | None = None   # seconds from Popen to the first PONG

    @property
    def socket_path(self) -> str:
        if self.directory is None:
            raise RuntimeError("clamd n'est pas démarré")
        return str(self.directory / "clamd.sock")

    @property
    def log_path(self) -> Path:
        return self.directory / "clamd.log"

    def _write_config(self) -> Path:
        root = self.directory
        (root / "db").mkdir()
        (root / "tmp").mkdir(mode=0o700)
        (root / "db" / "eicar.hdb").write_text(eicar_hdb_line())
        lines = [
            f"LocalSocket {root / 'clamd.sock'}",
            "LocalSocketMode 600",
            "FixStaleSocket yes",
            f"DatabaseDirectory {root / 'db'}",
            f"TemporaryDirectory {root / 'tmp'}",
            f"LogFile {root / 'clamd.log'}",
            "LogTime yes",
            f"PidFile {root / 'clamd.pid'}",
            "Foreground yes",
            f"StreamMaxLength {self.stream_max_length}",
            "SelfCheck 0",               # the database never changes
            "Bytecode no",               # no bytecode.cvd: nothing is downloaded
        ]
        # No TCPSocket line: TCP stays off. No User line: clamd keeps running
        # as the current user, root or not (clamd 1.4 accepts `User root` under
        # root but it adds nothing; `User clamav` could not read this private
        # 0700 folder, and as non-root any User line fails).
        conf = root / "clamd.conf"
        conf.write_text("\n".join(lines) + "\n")
        return conf

    def ping(self) -> bool:
        try:
            with protocol.connect(self.socket_path, timeout=2.0) as sock:
                return protocol.ask(sock, b"PING") == "PONG"
        except OSError:
            return False

    def start(self) -> "Clamd":
        if self.process is not None:
            return self
        binary = clamd_binary()
        self.directory = Path(tempfile.mkdtemp(prefix="ep-clamd-"))
        conf = self._write_config()
        began = time.monotonic()
        self.process = subprocess.Popen(
            [binary, "-c", str(conf)],
            stdin=subprocess.DEVNULL,
            stdout=open(self.directory / "clamd.out", "wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,   # own process group: stop() ends clamd and only clamd
        )
        deadline = began + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self._tail()
                self.stop()
                raise RuntimeError(f"clamd s'est arrêté au démarrage :\n{output}")
            if self.ping():
                self.started_in = time.monotonic() - began
                return self
            time.sleep(0.1)
        output = self._tail()
        self.stop()
        raise RuntimeError(f"clamd ne répond pas à PING après {self.start_timeout:.0f} s :\n{output}")

    def _tail(self, lines: int = 30) -> str:
        text = []
        for name in ("clamd.out", "clamd.log"):
            path = self.directory / name
            if path.exists():
                text += path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(text)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def __enter__(self) -> "Clamd":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> None:
    clamd = Clamd().start()
    print(f"clamd prêt en {clamd.started_in:.1f} s : EP_CLAMD_SOCKET={clamd.socket_path}", flush=True)
    print("Ctrl-C pour l'arrêter.", flush=True)
    try:
        while clamd.process and clamd.process.poll() is None:
            time.sleep(0.5)
        print("clamd s'est arrêté :\n" + clamd._tail())
    except KeyboardInterrupt:
        pass
    finally:
        clamd.stop()


if __name__ == "__main__":
    main()
