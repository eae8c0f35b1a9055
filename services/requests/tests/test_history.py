"""RequestsService in a real container on RabbitMQ: authorization comes from
the signed identity in the call context, never from arguments."""
import pytest
from nameko.containers import ServiceContainer
from nameko.testing.services import entrypoint_hook
from sqlalchemy.orm import Session

from contracts import identity
from contracts.errors import NotAuthenticated, NotAuthorized
from services.common.db import make_engine
from services.requests.seed import seed
from services.requests.service import RequestsService

pytestmark = [pytest.mark.integration, pytest.mark.db]


@pytest.fixture
def requests_service(service_env, database_urls, monkeypatch):
    for key, value in service_env.items():
        monkeypatch.setenv(key, value)
    container = ServiceContainer(RequestsService, {"AMQP_URI": service_env["AMQP_URI"]})
    container.start()                       # applies the migrations
    engine = make_engine(database_urls["requests"])
    with Session(engine) as session:
        seed(session, partner_id=41, caisse_code="901")
    engine.dispose()
    yield container
    container.stop()


def call(container, method, who, secret, *args):
    context = {"identity": identity.sign(who, secret)} if who else {}
    with entrypoint_hook(container, method, context_data=context) as hook:
        return hook(*args)


def test_partner_sees_only_its_own_requests(requests_service, rpc_secret):
    mine = call(requests_service, "recent_for_my_partner", {"id": 1, "profile": "technicien", "partner_id": 41},
                rpc_secret, 10)
    assert [r["reference"] for r in mine] == ["DEMO-000001", "DEMO-000002", "DEMO-000003"]
    assert mine[0]["kind_label"] == "Demander un document"
    other = call(requests_service, "recent_for_my_partner", {"id": 2, "profile": "technicien", "partner_id": 42},
                 rpc_secret, 10)
    assert other == []


def test_agent_counts_open_requests_of_its_caisse(requests_service, rpc_secret):
    queue = call(requests_service, "open_counts_for_my_caisse", {"id": 3, "profile": "agent_caisse",
                                                                 "caisse_code": "901"}, rpc_secret)
    assert {c["status"]: c["count"] for c in queue["counts"]} == {"submitted": 1, "in_progress": 1,
                                                                  "waiting_partner": 0}


def test_wrong_profile_or_no_identity_is_refused(requests_service, rpc_secret):
    with pytest.raises(NotAuthorized):
        call(requests_service, "open_counts_for_my_caisse", {"id": 1, "profile": "technicien", "partner_id": 41},
             rpc_secret)
    with pytest.raises(NotAuthenticated):
        call(requests_service, "recent_for_my_partner", None, rpc_secret, 10)
