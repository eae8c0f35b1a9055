"""``AMQP_URI`` as a cluster's failover list (contracts/broker.py): the nodes in order, each one a full
address with its own account; the web's client tries them in that order (the failover itself, with real
nodes lost: tests/faults/test_cluster_failover.py). A single address is unchanged."""
from urllib.parse import urlsplit

from contracts.broker import DEFAULT_AMQP_URI, addresses
from contracts.production import broker_problem
from contracts.rpc import RpcClient
from devtools.stack import free_port

CLUSTER = "amqp://web:Pw-9xK2@rabbit-1:5672/;amqp://web:Pw-9xK2@rabbit-2:5673/; amqp://web:Pw-9xK2@rabbit-3:5674/;"


def test_a_failover_list_names_each_node_in_order():
    assert addresses(DEFAULT_AMQP_URI) == [DEFAULT_AMQP_URI]
    assert addresses(CLUSTER) == [f"amqp://web:Pw-9xK2@rabbit-{n}:{5671 + n}/" for n in (1, 2, 3)]


def test_the_web_client_tries_every_node_in_that_order():
    client = RpcClient(CLUSTER, timeout=3, connect_timeout=1)
    assert [(p.host, p.port, p.credentials.username) for p in client._params] == [
        ("rabbit-1", 5672, "web"), ("rabbit-2", 5673, "web"), ("rabbit-3", 5674, "web")]
    # Each node bounded like the single broker was: a dead node costs its connect timeout at most.
    assert all(p.stack_timeout == 1 and p.connection_attempts == 1 and p.heartbeat == 0 for p in client._params)


def test_production_checks_every_node_of_the_list():
    assert broker_problem(CLUSTER) is None
    assert "guest" in broker_problem(CLUSTER + "amqp://guest:guest@rabbit-4:5672/")
    assert broker_problem(";") == "AMQP_URI doit être défini."


def test_the_client_goes_on_to_a_node_that_answers_and_starts_with_it_next_time(fresh_amqp_uri):
    """A node that is gone (nothing listens on its port) is passed over; the live one is tried first after."""
    dead = f"amqp://guest:guest@127.0.0.1:{free_port()}/"
    client = RpcClient(f"{dead};{fresh_amqp_uri}", timeout=3, connect_timeout=1)
    try:
        link = client._checkout()
        assert link.connection.is_open
        assert [p.port for p in client._params] == [5672, urlsplit(dead).port]
        link.close()
    finally:
        client.close()
