"""SMTP delivery, configured from the environment.

SMTP_HOST, SMTP_PORT, SMTP_TLS (none | starttls | ssl), SMTP_USER, SMTP_PASSWORD,
MAIL_FROM, SMTP_TIMEOUT (seconds, 20). Under eventlet smtplib's sockets are green, so a slow server only
delays mail.
"""
import json
import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from nameko.extensions import DependencyProvider

from services.notifier import settings


class SmtpMailer:
    def __init__(self, host, port, tls="none", user=None, password=None, sender=None, timeout=20):
        self.host, self.port, self.tls = host, int(port), tls
        self.user, self.password = user, password
        self.sender = sender or "Espace Partenaires <ne-pas-repondre@espace-partenaires.invalid>"
        self.timeout = timeout

    @classmethod
    def from_env(cls):
        return cls(
            host=os.environ.get("SMTP_HOST", "127.0.0.1"),
            port=os.environ.get("SMTP_PORT", "1025"),
            tls=os.environ.get("SMTP_TLS", "none"),
            user=os.environ.get("SMTP_USER") or None,
            password=os.environ.get("SMTP_PASSWORD") or None,
            sender=os.environ.get("MAIL_FROM") or None,
            timeout=settings.smtp_timeout(),
        )

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

    def send(self, message) -> None:
        email = self.build(message)
        smtp_class = smtplib.SMTP_SSL if self.tls == "ssl" else smtplib.SMTP
        with smtp_class(self.host, self.port, timeout=self.timeout) as smtp:
            if self.tls == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(email)


class Mailer(DependencyProvider):
    def setup(self):
        self.mailer = SmtpMailer.from_env()

    def get_dependency(self, worker_ctx):
        return self.mailer
