"""SMTP delivery, configured from the environment (services.notifier.settings.smtp).

Under eventlet smtplib's sockets are green, so a slow server only delays mail.
"""
import functools
import json
import smtplib
import socket
import ssl
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import make_msgid
from nameko.extensions import DependencyProvider

from services.notifier import settings


@functools.cache
def _local_hostname() -> str:
    """smtplib looks the local name up (getfqdn, a DNS query) on every connection otherwise."""
    return socket.getfqdn()


class SmtpMailer:
    def __init__(self, host, port, tls="none", user=None, password=None, sender=None, timeout=20):
        self.host, self.port, self.tls = host, int(port), tls
        self.user, self.password = user, password
        self.sender = sender or "Espace Partenaires <ne-pas-repondre@espace-partenaires.invalid>"
        self.timeout = timeout

    @classmethod
    def from_env(cls):
        return cls(**settings.smtp())

    def build(self, message) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        # Stable id per outbox row: a receiving system can drop a duplicate.
        email["Message-ID"] = make_msgid(idstring=message.idempotency_key[:60].replace("@", "-"),
                                         domain="espace-partenaires.invalid")
        for name, value in json.loads(message.headers or "{}").items():     # List-Unsubscribe…
            email[name] = value
        email.set_content(message.body_text)
        email.add_alternative(message.body_html, subtype="html")
        return email

    def open(self) -> smtplib.SMTP:
        smtp_class = smtplib.SMTP_SSL if self.tls == "ssl" else smtplib.SMTP
        smtp = smtp_class(self.host, self.port, timeout=self.timeout, local_hostname=_local_hostname())
        try:
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

    def send(self, message) -> None:
        email = self.mailer.build(message)
        if self.smtp is None:
            self.smtp = self.mailer.open()
        try:
            self.smtp.send_message(email)
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
