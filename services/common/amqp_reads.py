"""py-amqp reads a frame as three exact reads: its 7-byte header, its payload, its end octet; a call
delivered to a service is three frames (method, properties, body), so nine ``recv`` calls or more, each a
system call and, under eventlet, a trip through the green socket's Python. Here each read that goes to the
socket asks for whatever is there, up to READ_AHEAD bytes: a call usually arrives in one segment and is
read with one ``recv``. py-amqp's own read keeps what it got beyond the frame in its read buffer, which
every read of the connection takes from first (nothing reads that socket otherwise: no ``select`` asks it
whether data waits). TLS connections keep py-amqp's reads.

Installed once per process by services.common.entrypoint (every service's ``@rpc``). Relies on amqp 5.4's
plain TCP transport reading only through ``_quick_recv`` (pinned).
"""
from amqp.transport import TCPTransport

READ_AHEAD = 65536
_setup = TCPTransport._setup_transport


def _setup_reading_ahead(self):
    _setup(self)
    recv = self.sock.recv
    self._quick_recv = lambda size: recv(max(size, READ_AHEAD))


def install() -> None:
    TCPTransport._setup_transport = _setup_reading_ahead
