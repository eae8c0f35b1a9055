"""SMTP delivery, configured from the environment (services.notifier.settings.smtp).

Under eventlet smtplib's sockets are green, so a slow server only delays mail.
"""
import functools
import io
import json
import re
import smtplib
import socket
import ssl
from contextlib import contextmanager
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import getaddresses, make_msgid
from typing import NamedTuple
from nameko.extensions import DependencyProvider

from services.notifier import settings


@functools.cache
def _local_hostname() -> str:
    """smtplib looks the local name up (getfqdn, a DNS query) on every connection otherwise."""
    return socket.getfqdn()


_LEADING_DOT = re.compile(rb"(?m)^\.")     # smtplib's dot-stuffing (RFC 5321, 4.5.2)


class Envelope(NamedTuple):
    """An email ready for the wire: what smtplib's send_message makes of the MIME message."""
    sender: str
    recipients: list[str]
    data: bytes
    options: tuple[str, ...]


class _Smtp(smtplib.SMTP):
    """smtplib's client, with a hook called once the message is on the wire, just before its end
    (the line with one dot): until then the server delivers nothing, a broken session drops it.

    When the server offers PIPELINING (RFC 2920: every relay in service does), MAIL, RCPT and DATA leave
    together and their replies are read together: one round trip before the message where smtplib makes
    two plus one per recipient, each a wait on the relay (across a network, or on a busy machine)."""
    before_end = staticmethod(lambda: None)

    def data(self, msg: bytes):
        """smtplib's DATA (the message is bytes already, dots doubled here), its end held back."""
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        return self._message(msg)

    def _message(self, msg: bytes):
        body = _LEADING_DOT.sub(b"..", msg)
        self.send(body if body.endswith(b"\r\n") else body + b"\r\n")
        self.before_end()
        self.send(b".\r\n")
        return self.getreply()

    def sendmail(self, from_addr, to_addrs, msg, mail_options=(), rcpt_options=()):
        self.ehlo_or_helo_if_needed()
        if not self.has_extn("pipelining"):
            return super().sendmail(from_addr, to_addrs, msg, mail_options, rcpt_options)
        to_addrs = [to_addrs] if isinstance(to_addrs, str) else list(to_addrs)
        options = [*mail_options, *([f"size={len(msg)}"] if self.has_extn("size") else [])]
        if any(option.lower() == "smtputf8" for option in options):
            if not self.has_extn("smtputf8"):
                raise smtplib.SMTPNotSupportedError("SMTPUTF8 not supported by server")
            self.command_encoding = "utf-8"         # as smtplib's mail(): the addresses may be UTF-8
        rcpt = _listed(rcpt_options)
        self.send("".join([f"mail FROM:{smtplib.quoteaddr(from_addr)}{_listed(options)}\r\n",
                           *(f"rcpt TO:{smtplib.quoteaddr(to)}{rcpt}\r\n" for to in to_addrs), "data\r\n"]))
        # Every reply is read before deciding (the server answers each command), as RFC 2920 asks.
        mail = self.getreply()
        refused = {to: reply for to in to_addrs if (reply := self.getreply())[0] not in (250, 251)}
        data = self.getreply()
        if mail[0] != 250 or len(refused) == len(to_addrs) or data[0] != 354:
            if data[0] == 354:     # DATA accepted all the same: an empty end, refused by a server with no recipient
                self.send(b".\r\n")
                self.getreply()
            if 421 in (mail[0], data[0], *(code for code, _ in refused.values())):
                self.close()
            else:
                self._rset()
            if mail[0] != 250:
                raise smtplib.SMTPSenderRefused(*mail, from_addr)
            if len(refused) == len(to_addrs):
                raise smtplib.SMTPRecipientsRefused(refused)
            raise smtplib.SMTPDataError(*data)
        code, reply = self._message(msg)
        if code != 250:
            if code == 421:
                self.close()
            else:
                self._rset()
            raise smtplib.SMTPDataError(code, reply)
        return refused


def _listed(options) -> str:
    """ESMTP parameters as they follow a command (" SIZE=123 SMTPUTF8")."""
    return "".join(f" {option}" for option in options)


class _SmtpSsl(smtplib.SMTP_SSL, _Smtp):
    pass


class SmtpMailer:
    def __init__(self, host, port, tls="none", user=None, password=None, sender=None, timeout=20):
        self.host, self.port, self.tls = host, int(port), tls
        self.user, self.password = user, password
        self.sender = sender or "Espace Partenaires <ne-pas-repondre@espace-partenaires.invalid>"
        self.sender_address = getaddresses([self.sender])[0][1]       # the envelope's, once
        self.timeout = timeout

    @classmethod
    def from_env(cls):
        return cls(**settings.smtp())

    def build(self, message, pause=lambda: None) -> EmailMessage:
        """``pause()`` between steps (see prepare)."""
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        # Stable id per outbox row: a receiving system can drop a duplicate.
        email["Message-ID"] = make_msgid(idstring=message.idempotency_key[:60].replace("@", "-"),
                                         domain="espace-partenaires.invalid")
        for name, value in json.loads(message.headers or "{}").items():     # List-Unsubscribe…
            email[name] = value
        pause()
        email.set_content(message.body_text)
        pause()
        email.add_alternative(message.body_html, subtype="html")
        return email

    def prepare(self, message, pause=lambda: None) -> Envelope:
        """The message built and turned into bytes as smtplib's send_message would (UTF-8 addresses
        ask for SMTPUTF8), apart from the session: the outbox does it while the previous email is
        on the wire, and its green thread calls ``pause()`` between steps (a millisecond of work in
        one piece would hold the reply the wire is waiting for)."""
        email = self.build(message, pause)
        pause()
        international = not (self.sender_address + message.recipient).isascii()
        with io.BytesIO() as data:
            BytesGenerator(data, policy=email.policy.clone(utf8=True) if international else None).flatten(
                email, linesep="\r\n")
            return Envelope(self.sender_address, [message.recipient], data.getvalue(),
                            ("SMTPUTF8", "BODY=8BITMIME") if international else ())

    def open(self) -> smtplib.SMTP:
        smtp_class = _SmtpSsl if self.tls == "ssl" else _Smtp
        smtp = smtp_class(self.host, self.port, timeout=self.timeout, local_hostname=_local_hostname())
        try:
            # The end of data goes in a packet of its own (_Smtp.data): sent at once, not held for the ACK.
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tls == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password or "")
        except BaseException:
            _quietly_close(smtp)
            raise
        return smtp

    def send(self, message) -> None:
        """One message, one SMTP session."""
        with self.session() as session:
            session.send(message)

    @contextmanager
    def session(self):
        """One SMTP session for a batch of messages: connecting, greeting, TLS and login cost
        more than sending a message, so a batch pays them once. Errors are the message's own."""
        session = _Session(self)
        try:
            yield session
        finally:
            session.close()


class _Session:
    def __init__(self, mailer: SmtpMailer):
        self.mailer, self.smtp = mailer, None

    def prepare(self, message, pause=lambda: None) -> Envelope:
        return self.mailer.prepare(message, pause)

    def send(self, message) -> None:
        self.transmit(self.prepare(message))

    def transmit(self, envelope: Envelope, before_end=lambda: None) -> None:
        """Send; ``before_end`` is called once the message is on the wire, before its end (from which
        the server delivers it)."""
        if self.smtp is None:
            self.smtp = self.mailer.open()
        try:
            self.smtp.before_end = before_end
            self.smtp.sendmail(envelope.sender, envelope.recipients, envelope.data, envelope.options)
        except BaseException:
            # After any failure the session may be unusable (disconnected, timed out, 421…):
            # the next message opens another.
            self.close()
            raise

    def close(self) -> None:
        if self.smtp is not None:
            _quietly_close(self.smtp)
            self.smtp = None


def _quietly_close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


class Mailer(DependencyProvider):
    def setup(self):
        self.mailer = SmtpMailer.from_env()

    def get_dependency(self, worker_ctx):
        return self.mailer
