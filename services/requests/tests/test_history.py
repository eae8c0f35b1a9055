"""RequestsService in a real container on RabbitMQ, with its scanner and storage
from the environment (the real clamd): authorization comes from the signed
identity in the call context, never from arguments."""
import pytest
from nameko.containers import ServiceContainer
from nameko.testing.services import entrypoint_hook
from sqlalchemy.orm import Session

from contracts import identity
from contracts.errors import NotAuthenticated, NotAuthorized, ValidationFailed
from services.common.db import make_engine
from services.requests.seed import seed
from services.requests.service import RequestsService
from services.requests.tests.conftest import WHO, insured, upload
from services.requests.tests.test_attachments import EICAR_PDF

pytestmark = [pytest.mark.integration, pytest.mark.db]


@pytest.fixture
def requests_service(service_env, database_urls, clamd, monkeypatch, tmp_path):
    for key, value in {**service_env, "EP_CLAMD_SOCKET": clamd.socket_path,
                       "EP_ATTACHMENTS_DIR": str(tmp_path / "files")}.items():
        monkeypatch.setenv(key, value)
    container = ServiceContainer(RequestsService, {"AMQP_URI": service_env["AMQP_URI"]})
    container.start()                       # applies the migrations
    engine = make_engine(database_urls["requests"])
    with Session(engine) as session:
        seed(session)
    engine.dispose()
    yield container
    container.stop()


def call(container, method, role, secret, *args):
    context = {"identity": identity.sign(WHO[role], secret, identity.audience("requests", method))} if role else {}
    with entrypoint_hook(container, method, context_data=context) as hook:
        return hook(*args)


def test_partner_sees_its_own_history_only(requests_service, rpc_secret):
    mine = call(requests_service, "recent_for_my_partner", "tech_a", rpc_secret, 50)
    assert {r["reference"] for r in mine} >= {"DEMO-000001", "DEMO-000005"}
    assert "DEMO-000006" not in {r["reference"] for r in mine}                   # partner 2's
    assert mine[0]["kind_label"]


def test_agent_overview_and_wrong_profiles(requests_service, rpc_secret):
    overview = call(requests_service, "caisse_overview", "agent_999", rpc_secret)
    assert sum(c["count"] for c in overview["counts"]) >= 7
    with pytest.raises(NotAuthorized):
        call(requests_service, "caisse_overview", "tech_a", rpc_secret)
    with pytest.raises(NotAuthenticated):
        call(requests_service, "recent_for_my_partner", None, rpc_secret, 10)


def test_submission_scans_with_the_configured_clamd(requests_service, rpc_secret):
    data = {"insured": insured(last="Container"), "document_type": "attestation_droits", "comment": ""}
    with pytest.raises(ValidationFailed) as exc:
        call(requests_service, "submit", "tech_a", rpc_secret, "document", "999", data,
             [upload("facture.pdf", EICAR_PDF)])
    assert "antivirus" in exc.value.fields["attachment"]


def test_callers_of_one_list_statement_at_once_each_read_their_own_rows(requests_service, rpc_secret, service_env):
    """A list's statement is built once per set of filters and shared by every caller, their values bound at
    execution (history._page). Pushed over the broker: two partners' techniciens and two caisses' agents,
    the same filters, 160 searches at once in one service; each answer is the one that caller gets alone."""
    import eventlet

    from contracts.rpc import RpcClient
    from services.requests import history

    filters = [{}, {"status": "submitted"}, {"kind": "document"}, {"status": "open"}]
    roles = ["tech_a", "tech_b", "agent_999", "agent_998"]
    client = RpcClient(service_env["AMQP_URI"], timeout=30)

    def rows(job):
        role, n = job
        token = identity.sign(WHO[role], rpc_secret, identity.audience("requests", "search"))
        return job, [r["id"] for r in client.call("requests", "search", filters[n], None, 100, identity=token)["rows"]]

    call(requests_service, "submit", "tech_b", rpc_secret, "document", "998",     # the demo has none for 998
         {"insured": insured(last="Parallèle"), "document_type": "attestation_droits", "comment": ""}, None)
    jobs = [(role, n) for role in roles for n in range(len(filters))]
    try:
        alone = dict(map(rows, jobs))
        assert all(alone[(role, 0)] for role in roles)
        assert not set(alone[("tech_a", 0)]) & set(alone[("tech_b", 0)])
        assert not set(alone[("agent_999", 0)]) & set(alone[("agent_998", 0)])
        built = history._page.cache_info()
        for job, got in eventlet.GreenPool(16).imap(rows, jobs * 10):
            assert got == alone[job], job
    finally:
        client.close()
    assert history._page.cache_info().misses == built.misses               # no statement built again
