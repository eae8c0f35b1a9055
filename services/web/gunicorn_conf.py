"""gunicorn settings of the web: ``gunicorn -c python:services.web.gunicorn_conf ...``.

gunicorn announces itself in a ``Server: gunicorn`` header on every response;
the name and version of the server help nobody but an attacker (ASVS 14.3.3),
so the header is left out.
"""
from gunicorn.http import wsgi

_default_headers = wsgi.Response.default_headers


def _headers_without_server(self):
    return [h for h in _default_headers(self) if not h.lower().startswith("server:")]


wsgi.Response.default_headers = _headers_without_server
