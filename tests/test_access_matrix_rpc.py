"""Access control of every RPC method of every service, for every profile, from the table
in tests/access_table.py: the services are called through the web's own client with identities
signed as the web signs them (each from a real login, so accounts sees a live session), and
forged identities (bad signature, expired, another secret) are refused by each service.

A method without a row fails the test: a new entrypoint must say who may call it.
"""
import inspect
import time

import nameko.rpc
import pytest

from contracts import identity
from contracts.errors import AccountInactive, NotAuthenticated, NotAuthorized, NotFound, ServiceError
from services.accounts.service import AccountsService
from services.notifier.service import NotifierService
from services.requests.service import RequestsService
from tests.access_table import (CONVENTION_CASES, ON_PARTNER, PEOPLE, TABLE, convention_case_allowed,
                                expected_allowed)
from tests.access_world import World, authenticate, call
from services.web.users import identity_of

pytestmark = [pytest.mark.integration, pytest.mark.db]

SERVICES = {"accounts": AccountsService, "requests": RequestsService, "notifier": NotifierService}
DENIALS = (NotAuthenticated, NotAuthorized, NotFound, AccountInactive)


def rpc_methods(cls) -> set[str]:
    """The RPC entrypoints of a service class (common.entrypoint.rpc subclasses nameko's Rpc)."""
    return {name for name, member in inspect.getmembers(cls, inspect.isfunction)
            if any(isinstance(e, nameko.rpc.Rpc) for e in getattr(member, "nameko_entrypoints", ()))}


@pytest.fixture(scope="module")
def world(app, stack):
    from tests.conftest import Mailbox

    built = World(app, Mailbox(stack.env["EP_MAILCATCHER_URL"]), app.test_client())
    built.inactivate()
    return built


def outcome(thunk) -> str:
    try:
        thunk()
    except DENIALS:
        return "denied"
    except ServiceError:
        return "allowed"            # past the access check, stopped by a business rule
    return "allowed"


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_rpc_method_has_a_row(service):
    methods = rpc_methods(SERVICES[service])
    assert len(methods) >= 10
    assert methods == set(TABLE[service]), "rows missing or stale: " + str(methods ^ set(TABLE[service]))


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_profile_on_every_method(world, app, service):
    wrong = []
    for method, row in TABLE[service].items():
        for profile in sorted(world.who):
            allowed = expected_allowed(service, row, profile)
            args = row.throwaway(world) if allowed and row.throwaway else row.args(world)
            who = world.who[profile]
            if profile == "service":
                who = {**who, "service": row.service_name}
            if allowed and row.fresh_session:
                who = identity_of(authenticate(app, *world.login_of(profile)))
            got = outcome(lambda: call(app, service, method, *args, who=who))
            if got != ("allowed" if allowed else "denied"):
                wrong.append(f"{service}.{method} as {profile}: {got}")
    assert not wrong, "\n".join(wrong)


FORGERIES = {      # (who, secret, the audience of the method called) -> the token sent
    "bad signature": lambda who, secret, aud: identity.sign(who, secret, aud)[:-4] + "0000",
    "expired": lambda who, secret, aud: identity.sign(who, secret, aud, now=time.time() - 3600),
    "another secret": lambda who, secret, aud: identity.sign(who, "un-autre-secret-" + "x" * 32, aud),
    "profile rewritten": lambda who, secret, aud: _rewritten(identity.sign(who, secret, aud)),
    # Captured on the broker for one method, replayed on another (issue 16: an audience per token).
    "another method's": lambda who, secret, aud: identity.sign(who, secret, "requests.search"
                                                               if aud != "requests.search" else "accounts.me"),
    # Made for another purpose with the same secret: a login ticket, a service identity's key.
    "login ticket": lambda who, secret, aud: identity.sign_ticket(dict(who, aud=aud), secret, ttl=120),
    "person under the services' key": lambda who, secret, aud: _under_service_key(who, secret, aud),
}


def _under_service_key(who, secret, aud):
    """A person's identity MACed with the key of service identities: the key follows the profile claimed."""
    token = identity.sign({"id": None, "profile": "service", "service": "requests"}, secret, aud)
    return _rewritten(token, **who)


def _rewritten(token, **claims):
    """A valid token with its body edited (by default the agent's, to the national admin profile)."""
    import base64
    import json

    body, mac = token.rsplit(".", 1)
    payload = json.loads(base64.urlsafe_b64decode(body))
    payload.update(claims or {"profile": "admin_national"})
    return base64.urlsafe_b64encode(json.dumps(payload, sort_keys=True).encode()).decode() + "." + mac


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_forged_identities_are_refused_by_each_service(world, app, stack, forgery):
    client, secret = app.extensions["services"].client, stack.env["EP_RPC_SECRET"]
    wrong = []
    for service, rows in TABLE.items():
        for method, row in rows.items():
            if "anonymous" in row.allowed:
                continue            # open to all: an identity, forged or not, changes nothing
            token = FORGERIES[forgery](world.who["agent_x"], secret, identity.audience(service, method))
            try:
                client.call(service, method, *row.args(world), identity=token, timeout=10)
                wrong.append(f"{service}.{method}: answered")
            except NotAuthenticated:
                pass
            except Exception as exc:     # noqa: BLE001 (reported below)
                wrong.append(f"{service}.{method}: {exc!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("case", sorted(CONVENTION_CASES))
def test_rights_come_from_conventions_in_force_only(world, app, case):
    partner, gestionnaire = world.convention_cases[case]
    wrong = []
    for method, args in ON_PARTNER.items():
        for profile in sorted(PEOPLE):
            allowed = convention_case_allowed(case, method, profile)
            got = outcome(lambda: call(app, "accounts", method, *args(partner, gestionnaire), who=world.who[profile]))
            if got != ("allowed" if allowed else "denied"):
                wrong.append(f"{case}: accounts.{method} as {profile}: {got}")
    assert not wrong, "\n".join(wrong)
