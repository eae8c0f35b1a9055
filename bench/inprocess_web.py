"""Bench-only baseline of ``split_tax``: the real web app, same templates, same gunicorn, but the
requests service's reads run in-process on its database instead of over RPC, as a monolith
would. The other services (the session check on ``accounts``) are still called: only the
requests split is measured.

    served by devtools.stack's web_command (the web's own gunicorn settings);
    REQUESTS_DATABASE_URL from the environment
"""
import time

from flask_login import current_user
from sqlalchemy.orm import sessionmaker

from services.common.config import database_url
from services.common.db import make_engine
from services.requests import catalogue, history
from services.web.app import create_app as create_web_app
from services.web.rpc import Services

IN_PROCESS = {
    "search": lambda db, who, filters=None, cursor=None, limit=history.PAGE_SIZE:
        history.search(db, who, dict(filters or {}), cursor, limit),
    "form_catalogue": lambda db, who: catalogue.form_catalogue(),
}


class InProcessRequests(Services):
    def __init__(self, real: Services):
        self.client = real.client
        self.sessions = sessionmaker(bind=make_engine(database_url("requests")), expire_on_commit=False)

    def call(self, service, method, *args, who=None, timeout=None, **kwargs):
        if service != "requests" or method not in IN_PROCESS:
            return super().call(service, method, *args, who=who, timeout=timeout, **kwargs)
        with self.sessions() as db:
            return IN_PROCESS[method](db, who or current_user.identity, *args, **kwargs)

    def send(self, service, method, *args, who=None, timeout=None, **kwargs):
        """A read the page renders around (services.web.rpc.Later): done in-process when it is read."""
        if service != "requests" or method not in IN_PROCESS:
            return super().send(service, method, *args, who=who, timeout=timeout, **kwargs)
        who = who or current_user.identity
        return _Done(lambda: self.call(service, method, *args, who=who, **kwargs)), time.perf_counter()


class _Done:
    def __init__(self, read):
        self.result = read

    def abandon(self):
        pass


def create_app():
    app = create_web_app()
    app.extensions["services"] = InProcessRequests(app.extensions["services"])
    return app
