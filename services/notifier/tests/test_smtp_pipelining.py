"""RFC 2920 pipelining in the notifier's SMTP client, against a scripted server on a real socket that notes
how the commands arrive: MAIL, RCPT and DATA together when the server offers PIPELINING (one round trip
before the message), one by one when it does not; a refused sender or recipient read from the pipelined
replies, the transaction reset, and the same session sending the next email."""
import select
import smtplib
import socketserver
import threading

import pytest

from services.notifier.mailer import Envelope, SmtpMailer


class _Scripted(socketserver.BaseRequestHandler):
    """EHLO (PIPELINING when ``offer``), then per transaction: notes the lines that arrive before it answers
    anything (``server.batches``), answers them, reads the message; RSET and QUIT."""

    def handle(self):
        server, self.buffer = self.server, b""
        self.request.sendall(b"220 scripted\r\n")
        self._line()
        self.request.sendall(b"250-scripted\r\n" + (b"250-PIPELINING\r\n" if server.offer else b"")
                             + b"250-SMTPUTF8\r\n250 SIZE 1000000\r\n")
        while line := self._line():
            command = line[:4].upper()
            if command == b"QUIT":
                self.request.sendall(b"221 bye\r\n")
                return
            if command == b"RSET":
                server.resets += 1
                self.request.sendall(b"250 reset\r\n")
                continue
            batch, server.lines = [command], [line]
            while batch[-1] != b"DATA" and (more := self._line(wait=0.3)):     # what else came before any answer
                batch.append(more[:4].upper())
                server.lines.append(more)
            server.batches.append(batch)
            for command in batch:
                self.request.sendall(self._answer(command, server.refuse))
            if batch[-1] == b"DATA" and server.refuse is None:
                server.messages.append(b"".join(iter(self._line, b".\r\n")))
                self.request.sendall(b"250 queued\r\n")

    def _line(self, wait=None) -> bytes | None:
        """The next line; None when nothing more came within ``wait`` seconds; b"" once the client is gone."""
        while b"\r\n" not in self.buffer:
            if wait is not None and not select.select([self.request], [], [], wait)[0]:
                return None
            if not (data := self.request.recv(4096)):
                return b""
            self.buffer += data
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line + b"\r\n"

    @staticmethod
    def _answer(command, refuse) -> bytes:
        if command == b"MAIL":
            return b"550 sender refused\r\n" if refuse == "sender" else b"250 ok\r\n"
        if command == b"RCPT":
            return b"550 no such user\r\n" if refuse else b"250 ok\r\n"
        return b"503 no valid recipients\r\n" if refuse else b"354 go on\r\n"


@pytest.fixture
def scripted():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Scripted)
    server.daemon_threads = True
    server.offer, server.refuse, server.resets = True, None, 0
    server.batches, server.lines, server.messages = [], [], []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


SENDER = "ne-pas-repondre@espace-partenaires.invalid"


def envelope(n, to="personne@structure.example.test"):
    return Envelope(SENDER, [to], f"Subject: {n}\r\n\r\n.texte {n}\r\n".encode(), ())


@pytest.mark.parametrize("offer, batches", [(True, [[b"MAIL", b"RCPT", b"DATA"]] * 2),
                                             (False, [[b"MAIL"], [b"RCPT"], [b"DATA"]] * 2)])
def test_commands_leave_together_only_when_the_server_offers_pipelining(scripted, offer, batches):
    scripted.offer = offer
    ends = []
    with SmtpMailer("127.0.0.1", scripted.server_address[1], timeout=5).session() as session:
        for n in (1, 2):
            session.transmit(envelope(n), lambda: ends.append(len(scripted.messages)))
    assert scripted.batches == batches
    assert scripted.messages == [b"Subject: 1\r\n\r\n..texte 1\r\n", b"Subject: 2\r\n\r\n..texte 2\r\n"]
    assert ends == [0, 1]          # the hook before each end of data, before the server had the message


@pytest.mark.parametrize("refuse, error", [("sender", smtplib.SMTPSenderRefused),
                                            ("recipient", smtplib.SMTPRecipientsRefused)])
def test_a_refusal_in_the_pipelined_replies_resets_the_transaction_and_the_session_goes_on(scripted, refuse, error):
    with SmtpMailer("127.0.0.1", scripted.server_address[1], timeout=5).session() as session:
        scripted.refuse = refuse
        with pytest.raises(error) as refused:
            session.transmit(envelope(1))
        assert session.smtp is None       # the session closes on any failure (services.notifier.mailer._Session)
        scripted.refuse = None
        session.transmit(envelope(2))
    assert scripted.resets >= 1 and scripted.messages == [b"Subject: 2\r\n\r\n..texte 2\r\n"]
    assert "550" in str(refused.value)


def test_an_international_address_goes_pipelined_in_utf8_with_its_options(scripted):
    """A UTF-8 address asks for SMTPUTF8 (services.notifier.mailer.SmtpMailer.prepare): the pipelined commands
    carry the options, the message's size, and the address in UTF-8."""
    message = b"Subject: 1\r\n\r\ntexte\r\n"
    international = Envelope(SENDER, ["josé@structure.example.test"], message, ("SMTPUTF8", "BODY=8BITMIME"))
    with SmtpMailer("127.0.0.1", scripted.server_address[1], timeout=5).session() as session:
        session.transmit(international)
    assert scripted.batches == [[b"MAIL", b"RCPT", b"DATA"]]
    assert scripted.lines == [f"mail FROM:<{SENDER}> SMTPUTF8 BODY=8BITMIME size={len(message)}\r\n".encode(),
                              "rcpt TO:<josé@structure.example.test>\r\n".encode(), b"data\r\n"]
    assert scripted.messages == [message]
