"""Fixtures of the requests service tests."""
import pytest

from devtools.clamd import Clamd


@pytest.fixture(scope="session")
def clamd():
    """A real clamd (EICAR signature only), started once per test session."""
    daemon = Clamd().start()
    print(f"\n[clamd] prêt en {daemon.started_in:.2f} s ({daemon.socket_path})")
    yield daemon
    daemon.stop()


# --- a RequestsService worker on the real migrated database, the real clamd and a real storage ---------

import base64  # noqa: E402

from nameko.testing.services import worker_factory  # noqa: E402

from contracts import identity  # noqa: E402
from contracts.catalogue import FEATURES  # noqa: E402
from services.common.caller import CallerIdentity  # noqa: E402
from services.conftest import WORKER_AUD  # noqa: E402
from services.requests.scanning import ClamdScanner  # noqa: E402
from services.requests.seed import seed  # noqa: E402
from services.requests.service import RequestsService  # noqa: E402
from services.requests.storage import LocalStorage  # noqa: E402

SECRET = "r" * 40
ALL = list(FEATURES)
WHO = {   # the demo accounts' identities, as the web signs them
    "tech_a": {"id": 5, "profile": "technicien", "partner_id": 1, "first_name": "Hugo", "last_name": "Lambertin",
               "email": "technicien@ccas-saint-exemple.test", "caisses": [{"code": "999", "features": ALL}],
               "habilitated_body": False},
    "gest_a": {"id": 4, "profile": "gestionnaire", "partner_id": 1, "first_name": "Inès", "last_name": "Berthier",
               "email": "gestionnaire@ccas-saint-exemple.test", "caisses": [{"code": "999", "features": ALL}]},
    "tech_b": {"id": 9, "profile": "technicien", "partner_id": 2, "first_name": "Yanis", "last_name": "Morel",
               "email": "technicien@relais-fictif.test",
               "caisses": [{"code": "999", "features": ALL}, {"code": "998", "features": ALL}],
               "habilitated_body": True},
    "agent_999": {"id": 2, "profile": "agent_caisse", "caisse_code": "999", "first_name": "Claire",
                  "last_name": "Dumoulin"},
    "agent_998": {"id": 3, "profile": "agent_caisse", "caisse_code": "998", "first_name": "Karim",
                  "last_name": "Delaunay"},
    "admin": {"id": 1, "profile": "admin_national"},
}


@pytest.fixture
def scanner(clamd):
    return ClamdScanner(socket_path=clamd.socket_path)


@pytest.fixture
def store(tmp_path):
    return LocalStorage(tmp_path / "attachments")


@pytest.fixture
def db(migrated_session):
    session = migrated_session("requests")
    seed(session)
    return session


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(tmp_path / "files")


@pytest.fixture
def as_(db, clamd, storage):
    """as_(role, **identity overrides) -> a RequestsService worker acting as that person."""
    def make(role=None, **overrides):
        token = identity.sign({**WHO[role], **overrides}, SECRET, WORKER_AUD) if role else None
        worker = worker_factory(RequestsService, db=db, caller=CallerIdentity(token, SECRET, WORKER_AUD),
                                scanner=ClamdScanner(socket_path=clamd.socket_path), storage=storage)
        worker.services.call.return_value = None          # routing: no other caisse unless a test says so
        return worker
    return make


def upload(name: str, data: bytes) -> dict:
    return {"filename": name, "content_b64": base64.b64encode(data).decode()}


def insured(last="Durand", first="Lina", birth="1985-03-02", department="60"):
    return {"civility": "Mme", "last_name": last, "first_name": first, "birth_date": birth, "department": department}


def at_once(as_, db, role: str, call, refusal: type, label: str, count: int = 10) -> list[str]:
    """``call(worker)`` fired at once by ``count`` workers of ``role``, each on its own database connection (green
    threads, as the service serves parallel calls) -> each one's "ok", or ``label`` when it raised ``refusal``."""
    import eventlet
    from sqlalchemy.orm import Session

    def one(worker):
        try:
            call(worker)
            return "ok"
        except refusal:
            return label
        finally:
            worker.db.close()
    workers = []
    for _ in range(count):
        worker = as_(role)
        worker.db = Session(db.get_bind(), expire_on_commit=False)
        workers.append(worker)
    return list(eventlet.GreenPool(count).imap(one, workers))
