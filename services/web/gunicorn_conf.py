"""gunicorn settings of the web, shared by the dev stack and the image:
``gunicorn -c python:services.web.gunicorn_conf ...``.

- The access log keeps the path, never the query string: searches carry insured
  people's names there (``/file?q=…``), and no log line may hold personal data
  of an insured person (GDPR).
- Activation, reset and unsubscribe links carry their single-use token in the path:
  the access log writes those paths with the token replaced (``/activation/[jeton]``),
  so whoever reads the logs cannot use a pending link.
- Metrics (services/web/metrics.py): the workers write theirs in prometheus_client's multiprocess
  directory, prepared before the first fork; the master serves their sum on its own port
  (WEB_METRICS_PORT) and forgets a worker that exits. prometheus_client is imported only in these
  hooks, after the directory is set: it reads the variable once, at import.
- Every line, gunicorn's and the app's, is a JSON object with the request's correlation id
  (services/web/gunicorn_logs.py, contracts/logs.py).
- gunicorn announces itself in a ``Server: gunicorn`` header on every response;
  the name and version of the server help nobody but an attacker (ASVS 14.3.3),
  so the header is left out.
"""
import re

from gunicorn.http import wsgi

from services.web.gunicorn_logs import JsonLogger

accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
# gthread workers: RPC calls block on the broker, threads keep the workers responsive.
worker_class = "gthread"

# The routes whose path carries a token (services/web/views/auth.py, views/news.py).
TOKEN_IN_PATH = re.compile(r"^(/activation/|/mot-de-passe/nouveau/|/actualites/desabonnement/)[^/]+")


class TokenRedactingLogger(JsonLogger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = TOKEN_IN_PATH.sub(r"\1[jeton]", atoms["U"])
        return atoms


logger_class = TokenRedactingLogger


def on_starting(server):
    from services.web import config

    config.prepare_metrics_dir()


def when_ready(server):
    from services.web import metrics

    metrics.serve_workers_metrics()


def child_exit(server, worker):
    from services.web import metrics

    metrics.worker_gone(worker.pid)


_default_headers = wsgi.Response.default_headers


def _headers_without_server(self):
    return [h for h in _default_headers(self) if not h.lower().startswith("server:")]


wsgi.Response.default_headers = _headers_without_server
