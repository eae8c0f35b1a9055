"""gunicorn settings of the web, shared by the dev stack and the image:
``gunicorn -c python:services.web.gunicorn_conf ...``.

- The access log keeps the path, never the query string: searches carry insured
  people's names there (``/file?q=…``), and no log line may hold personal data
  of an insured person (GDPR).
- gunicorn announces itself in a ``Server: gunicorn`` header on every response;
  the name and version of the server help nobody but an attacker (ASVS 14.3.3),
  so the header is left out.
"""
from gunicorn.http import wsgi

accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
# gthread workers: RPC calls block on the broker, threads keep the workers responsive.
worker_class = "gthread"

_default_headers = wsgi.Response.default_headers


def _headers_without_server(self):
    return [h for h in _default_headers(self) if not h.lower().startswith("server:")]


wsgi.Response.default_headers = _headers_without_server
