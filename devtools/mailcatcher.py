"""A local SMTP server that keeps every message, with a small browser viewer.

For `make run` and the tests: the notifier talks real SMTP to it, and people
(or tests) read what was sent at http://127.0.0.1:8025 (JSON at /api/messages).
Messages are kept in memory and written as .eml files when --store is given.

For trying failures (and for the notifier's tests): a recipient whose address starts with
"refus" is refused with a permanent 550; POST /api/hold {"after": N} makes every recipient
after the N-th stored message wait (GET /api/state tells how many wait) until POST /api/release.

    python -m devtools.mailcatcher --smtp-port 1025 --http-port 8025
"""
import argparse
import asyncio
import email
import email.policy
import html
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller


class Mailbox:
    def __init__(self, store: Path | None = None):
        self.messages: list[dict] = []
        self.lock = threading.Lock()
        self.store = store
        if store:
            store.mkdir(parents=True, exist_ok=True)

    def add(self, envelope_from: str, recipients: list[str], raw: bytes) -> None:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        text = parsed.get_body(("plain",))
        body_html = parsed.get_body(("html",))
        with self.lock:
            entry = {
                "id": len(self.messages) + 1,
                "from": envelope_from,
                "to": recipients,
                "subject": str(parsed["Subject"] or ""),
                "message_id": str(parsed["Message-ID"] or ""),
                "date": str(parsed["Date"] or ""),
                "text": text.get_content() if text else "",
                "html": body_html.get_content() if body_html else "",
                "headers": {name: str(parsed[name]) for name in ("List-Unsubscribe", "List-Unsubscribe-Post")
                            if parsed[name] is not None},
            }
            self.messages.append(entry)
            if self.store:
                (self.store / f"{entry['id']:06d}.eml").write_bytes(raw)

    def all(self) -> list[dict]:
        with self.lock:
            return list(self.messages)

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()


class _Handler:
    def __init__(self, mailbox: Mailbox):
        self.mailbox = mailbox
        self.hold_after: int | None = None       # None: no hold
        self.waiting = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        """Offers PIPELINING as the relays in service do (aiosmtpd reads pipelined commands in order)."""
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith("refus"):
            return "550 5.1.1 Destinataire inconnu"
        if self.hold_after is not None and len(self.mailbox.all()) >= self.hold_after:
            self.waiting += 1
            try:
                while self.hold_after is not None:
                    await asyncio.sleep(0.02)
            finally:
                self.waiting -= 1
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.mailbox.add(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def _viewer(mailbox: Mailbox, handler: _Handler):
    class Viewer(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status, body: bytes, content_type: str):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            if self.path == "/api/hold":
                length = int(self.headers.get("Content-Length") or 0)
                handler.hold_after = int(json.loads(self.rfile.read(length) or b"{}").get("after", 0))
                return self._send(204, b"", "text/plain")
            if self.path == "/api/release":
                handler.hold_after = None
                return self._send(204, b"", "text/plain")
            return self._send(404, b"", "text/plain")

        def do_GET(self):
            messages = mailbox.all()
            if self.path == "/api/state":
                return self._send(200, json.dumps({"waiting": handler.waiting}).encode(), "application/json")
            if self.path == "/api/messages":
                return self._send(200, json.dumps(messages).encode(), "application/json")
            if self.path.startswith("/message/"):
                found = [m for m in messages if str(m["id"]) == self.path.rsplit("/", 1)[-1]]
                if not found:
                    return self._send(404, "Message introuvable".encode(), "text/plain; charset=utf-8")
                # The HTML part is shown sandboxed: it comes from our own templates but stays inert here.
                page = (f"<!doctype html><html lang='fr'><meta charset='utf-8'><title>{html.escape(found[0]['subject'])}</title>"
                        f"<p><a href='/'>← Tous les courriels</a></p><h1>{html.escape(found[0]['subject'])}</h1>"
                        f"<p>À : {html.escape(', '.join(found[0]['to']))}</p><h2>Version texte</h2>"
                        f"<pre style='white-space:pre-wrap'>{html.escape(found[0]['text'])}</pre><h2>Version HTML</h2>"
                        f"<iframe sandbox style='width:100%;height:480px' srcdoc=\"{html.escape(found[0]['html'])}\"></iframe>")
                return self._send(200, page.encode(), "text/html; charset=utf-8")
            rows = "".join(
                f"<tr><td>{m['id']}</td><td>{html.escape(', '.join(m['to']))}</td>"
                f"<td><a href='/message/{m['id']}'>{html.escape(m['subject'])}</a></td><td>{html.escape(m['date'])}</td></tr>"
                for m in reversed(messages))
            page = ("<!doctype html><html lang='fr'><meta charset='utf-8'><title>Courriels capturés</title>"
                    "<h1>Courriels capturés (développement)</h1>"
                    f"<table><thead><tr><th>N°</th><th>Destinataire</th><th>Objet</th><th>Date</th></tr></thead><tbody>{rows}</tbody></table>"
                    + ("" if messages else "<p>Aucun courriel pour l'instant.</p>"))
            return self._send(200, page.encode(), "text/html; charset=utf-8")

        def do_DELETE(self):
            if self.path == "/api/messages":
                mailbox.clear()
                return self._send(204, b"", "text/plain")
            return self._send(404, b"", "text/plain")

    return Viewer


class MailCatcher:
    def __init__(self, host="127.0.0.1", smtp_port=1025, http_port=8025, store: Path | None = None):
        self.mailbox = Mailbox(store)
        handler = _Handler(self.mailbox)
        self.smtp = Controller(handler, hostname=host, port=smtp_port)
        self.http = ThreadingHTTPServer((host, http_port), _viewer(self.mailbox, handler))

    def start(self):
        self.smtp.start()
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.http.shutdown()
        self.smtp.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    parser.add_argument("--store", type=Path, default=None)
    args = parser.parse_args()
    catcher = MailCatcher(args.host, args.smtp_port, args.http_port, args.store).start()
    print(f"mailcatcher: SMTP {args.host}:{args.smtp_port}, courriels sur http://{args.host}:{args.http_port}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        catcher.stop()


if __name__ == "__main__":
    main()
