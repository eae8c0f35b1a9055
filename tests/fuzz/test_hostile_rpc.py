"""Every RPC method of every service, called by a profile it serves, with random and hostile
arguments (tests/fuzz/hostile.py): the answer is a result or a typed error of contracts.errors,
never a generic remote error (an unexpected exception in the service) nor silence (a crashed or
hung worker). On the spare system: what a call manages to change harms no other test."""
import inspect

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.errors import ServiceError
from services.web.users import identity_of
from tests.access_table import TABLE
from tests.access_world import authenticate, call
from tests.fuzz.hostile import value
from tests.helpers import LOGINS
from tests.test_access_matrix_rpc import SERVICES

pytestmark = [pytest.mark.integration]

# The first of these a method serves calls it: its deepest path is behind the access check.
CALLERS = {"agent_x": "agent_caisse", "tech_a": "technicien", "gest_a": "gestionnaire", "admin": "admin_national"}
SERVICE_IDENTITY = {"id": None, "profile": "service", "service": "notifier"}
EXAMPLES = settings(max_examples=8, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def arity(service: str, method: str) -> tuple[int, int]:
    params = [p for p in inspect.signature(getattr(SERVICES[service], method)).parameters.values()
              if p.name != "self"]
    return sum(p.default is inspect.Parameter.empty for p in params), len(params)


@pytest.fixture(scope="module")
def identities(spare_app):
    found = {name: identity_of(authenticate(spare_app, *LOGINS[role])) for name, role in CALLERS.items()}
    return {**found, "service": SERVICE_IDENTITY, "anonymous": {}}


def caller_of(service: str, method: str) -> str:
    allowed = TABLE[service][method].allowed
    return next(name for name in (*CALLERS, "service", "anonymous") if name in allowed)


@pytest.mark.parametrize("service,method", [(s, m) for s in sorted(TABLE) for m in sorted(TABLE[s])])
def test_hostile_arguments_get_a_result_or_a_typed_error(spare_app, identities, service, method):
    least, most = arity(service, method)
    who = caller_of(service, method)

    @EXAMPLES
    @given(st.integers(least, most).flatmap(lambda n: st.lists(value, min_size=n, max_size=n)))
    def answers(args):
        try:
            identity = identities[who]
            if who == "service":
                identity = {**identity, "service": TABLE[service][method].service_name}
            call(spare_app, service, method, *args, who=identity)
        except ServiceError:
            pass                     # typed, with its French message: what the web shows

    answers()
