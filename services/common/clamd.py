"""clamd's socket protocol, the part every client shares: the requests service's scanner
(services.requests.scanning) and the development daemon's readiness check (devtools.clamd).

A command is sent as ``z<COMMAND>\\0``; clamd answers with one reply ended by ``\\0``.
Errors are the socket's own (OSError): each caller says what they mean to it.
"""
import socket


def connect(socket_path: str | None = None, host: str | None = None, port: int = 3310,
            timeout: float = 30) -> socket.socket:
    """A connection to clamd: its Unix socket when given, else its TCP address."""
    if not socket_path:
        return socket.create_connection((host, port), timeout=timeout)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(socket_path)
    except BaseException:
        sock.close()
        raise
    return sock


def read_reply(sock: socket.socket) -> str:
    reply = b""
    while not reply.endswith(b"\0"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        reply += chunk
    return reply.rstrip(b"\0").decode("utf-8", "replace").strip()


def ask(sock: socket.socket, command: bytes) -> str:
    """One command (``PING``, ``VERSION``…) and its reply."""
    sock.sendall(b"z" + command + b"\0")
    return read_reply(sock)
