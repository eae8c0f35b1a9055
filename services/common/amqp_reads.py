"""py-amqp reads a frame as three exact reads: its 7-byte header, its payload, its end octet; a call
delivered to a service is three frames (method, properties, body), so nine ``recv`` calls, each a system
call and, under eventlet, a trip through the green socket's Python. Here a read that has to go to the
socket asks for what is already there, up to READ_AHEAD bytes: a call usually arrives in one segment
and is read with one ``recv``; what comes after the frame waits in py-amqp's own read buffer, which
every read of the connection takes from first (nothing reads that socket otherwise: no ``select``
asks it whether data waits). TLS connections keep py-amqp's reads.

Installed once per process by services.common.entrypoint (every service's ``@rpc``). Relies on amqp
5.4's ``TCPTransport._read`` contract (exactly ``n`` bytes, the rest kept in ``_read_buffer``; pinned).
"""
import errno
import socket

from amqp.transport import TCPTransport

READ_AHEAD = 65536


def _read(self, n, initial=False, _errnos=(errno.EAGAIN, errno.EINTR)):
    """Exactly ``n`` bytes, as py-amqp's own, reading ahead whatever the socket has."""
    recv = self._quick_recv
    rbuf = self._read_buffer
    try:
        while len(rbuf) < n:
            try:
                s = recv(max(n - len(rbuf), READ_AHEAD))
            except OSError as exc:
                if exc.errno in _errnos:
                    if initial and self.raise_on_initial_eintr:
                        raise socket.timeout()
                    continue
                raise
            if not s:
                raise OSError("Server unexpectedly closed connection")
            rbuf += s
    except:  # noqa: E722 (as py-amqp: whatever interrupts the read, what was read stays buffered)
        self._read_buffer = rbuf
        raise
    result, self._read_buffer = rbuf[:n], rbuf[n:]
    return result


def install() -> None:
    TCPTransport._read = _read
