"""The web process's logs as JSON lines (contracts/logs.py): gunicorn's own (``gunicorn.error``), its
access line, and the app's (the root logger), all with the request's correlation id.

The access line is written once the answer has left, after the request's context is gone: its id is
read from the answer's ``X-Request-ID`` (services/web/correlation.py). It keeps its readable message
(services/web/gunicorn_conf.py: the path without its query string) and adds the same as fields.
"""
import logging

from gunicorn import glogging

from contracts import logs

PROCESS = "web"


class JsonLogger(glogging.Logger):
    def setup(self, cfg):
        super().setup(cfg)
        json_handler = logs.handler(PROCESS)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(json_handler.formatter)
                handler.addFilter(logs.CorrelationFilter())
        root = logging.getLogger()
        for handler in [h for h in root.handlers if getattr(h, "_json", False)]:
            root.removeHandler(handler)                  # a configuration reload sets up again
        json_handler._json = True
        root.addHandler(json_handler)
        root.setLevel(self.loglevel)

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        self.access_log.info(self.cfg.access_log_format, self.atoms_wrapper_class(atoms), extra={
            "method": atoms["m"], "path": atoms["U"], "status": int(atoms["s"]), "bytes": atoms["B"],
            "duration_ms": atoms["M"], logs.CONTEXT_KEY: atoms.get("{x-request-id}o")})
