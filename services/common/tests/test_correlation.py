"""The correlation id in a running service (services/common/correlation.py), on the real broker: a call
from the web's RPC client and an event from another service's outbox bring theirs, which every line of
the worker carries; a call without one, or with one of the wrong shape, gets a new one."""
import logging
import re
import time

import pytest
from nameko.events import event_handler

from contracts import logs
from contracts.rpc import RpcClient
from services.common.correlation import Correlation
from services.common.entrypoint import rpc
from services.common.event_outbox import event_publisher

pytestmark = pytest.mark.integration

HEARD = []


class CorrelationProbe:
    name = "correlation_probe"
    correlation = Correlation()

    @rpc
    def whose(self):
        logging.getLogger("probe").info("working")
        return logs.current()

    @event_handler("probe_source", "probed")
    def on_probed(self, payload):
        HEARD.append((payload["n"], logs.current()))


@pytest.fixture
def probe(container_factory, fresh_amqp_uri, caplog):
    caplog.handler.addFilter(logs.CorrelationFilter())       # as the processes' JSON handler (contracts/logs.py)
    caplog.set_level(logging.INFO)
    container_factory(CorrelationProbe, {"AMQP_URI": fresh_amqp_uri}).start()
    client = RpcClient(fresh_amqp_uri, timeout=10)
    yield client
    client.close()
    logs.bind(None)


def test_a_call_brings_its_id_and_every_line_of_the_worker_carries_it(probe, caplog):
    sent = logs.new_id()
    logs.bind(sent)                                          # the web request's
    assert probe.call("correlation_probe", "whose") == sent
    lines = [(r.name, r.getMessage(), r.correlation_id) for r in caplog.records if r.name != "nameko.containers"]
    assert ("probe", "working", sent) in lines
    deadline = time.monotonic() + 10                          # the call's line is written once its answer is sent
    while not (handled := [r for r in caplog.records if r.name == "services.common.correlation"]) \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    [handled] = handled
    assert (handled.entrypoint, handled.outcome, handled.correlation_id) == ("correlation_probe.whose", "ok", sent)
    assert handled.duration_ms >= 0


def test_a_call_without_an_id_or_with_a_wrong_one_gets_a_new_one(probe):
    fresh = probe.call("correlation_probe", "whose")
    assert re.fullmatch(r"[0-9a-f]{32}", fresh)
    assert probe.call("correlation_probe", "whose") != fresh           # one per call
    logs.bind("pas un identifiant\nfaux")
    assert re.fullmatch(r"[0-9a-f]{32}", probe.call("correlation_probe", "whose"))


def test_an_event_brings_the_id_of_the_request_that_emitted_it(probe, fresh_amqp_uri):
    publish = event_publisher(fresh_amqp_uri, "probe_source")
    sent = logs.new_id()
    HEARD.clear()
    publish("probed", {"n": 1}, correlation_id=sent)
    publish("probed", {"n": 2})                                       # from a timer's run: no id
    deadline = time.monotonic() + 10
    while len(HEARD) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    heard = dict(HEARD)
    assert heard[1] == sent
    assert re.fullmatch(r"[0-9a-f]{32}", heard[2]) and heard[2] != sent
