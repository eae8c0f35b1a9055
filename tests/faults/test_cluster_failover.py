"""Fault 7: RabbitMQ as a three-node cluster loses the node holding the queues' leader during
submissions, then the node the web is connected to (tests/faults/cluster.py).

Proves: the services' queues are replicated (the ha-all policy) and the web's client and the services
fail over to the remaining node by themselves (AMQP_URI failover lists); no acknowledged submission is
lost, none is filed twice, each "réessayez" sent again is filed once; the web files a request again, and
every service instance answers again, within 15 s of each loss. The private cluster is started and stopped by the test, whatever happens."""
import pytest

from tests.faults.cluster import RECOVERY, cluster_system, run_failover

pytestmark = [pytest.mark.faults, pytest.mark.integration]


def test_cluster_loses_two_nodes_without_losing_a_request(tmp_path, rpc_secret, capsys):
    with cluster_system(tmp_path, rpc_secret) as (cluster, stack):
        run = run_failover(cluster, stack)

    with capsys.disabled():
        for failover in run.failovers:
            print(f"\ncluster failover after losing the {failover.what} ({failover.node}): web files again after "
                  f"{failover.seconds:.2f} s, every service serves after {failover.services_seconds:.2f} s", end="")
    answers = [a for s in run.made for a in s.answers] + run.pages
    assert all(a.status != 500 for a in answers)
    assert [(a.status, a.text[:300]) for a in answers if not (a.filed or a.retry)] == []
    assert all(answer.filed for answer in run.resent), [(a.status, a.text[:300]) for a in run.resent]
    assert run.lost == [] and run.duplicated == []
    assert [failover.what for failover in run.failovers] == ["queues' leader", "web's node"]
    assert all(f.seconds <= RECOVERY and f.services_seconds <= RECOVERY for f in run.failovers), run.failovers
