"""The last run of each sweep (services.common.sweep_runs): recorded around the timer method whatever its
outcome (a failure keeps its exception going, and leaves only the exception's type), one row per kind,
read back for the supervision screen; and the outbox backlog the same screen shows."""
import pytest
import sqlalchemy as sa

from services.accounts.models import EventOutbox, SweepRun
from services.common import event_outbox, sweep_runs

pytestmark = pytest.mark.db


class Swept:
    def __init__(self, session):
        self.db = session

    @sweep_runs.recorded(SweepRun, "sweep")
    def sweep(self, fail=False):
        self.db.add(EventOutbox(event_type="probe", payload="{}"))
        self.db.commit()
        if fail:
            raise ValueError("Jeanne Dupont introuvable")         # a message may quote a person
        return "fait"


@pytest.fixture
def session(migrated_session):
    return migrated_session("accounts")


def test_each_run_replaces_the_last_and_a_failure_is_recorded_then_raised(session):
    labels = {"sweep": "Tâches", "other": "Jamais passée"}
    assert [r["ran"] for r in sweep_runs.last_runs(session, SweepRun, labels)] == [False, False]
    swept = Swept(session)
    assert swept.sweep() == "fait"
    first = sweep_runs.last_runs(session, SweepRun, labels)[0]
    assert (first["ran"], first["outcome"], first["error"], first["label"]) == (True, "ok", None, "Tâches")
    assert first["started_at"].endswith("Z") and first["duration_seconds"] >= 0
    with pytest.raises(ValueError):
        swept.sweep(fail=True)
    runs = sweep_runs.last_runs(session, SweepRun, labels)
    assert (runs[0]["outcome"], runs[0]["error"]) == ("failed", "ValueError")
    assert runs[1]["ran"] is False
    assert session.scalar(sa.select(sa.func.count()).select_from(SweepRun)) == 1

    pending, oldest = event_outbox.backlog(session, EventOutbox)
    assert pending == 2 and oldest >= 0
    session.execute(sa.delete(EventOutbox))
    session.commit()
    assert event_outbox.backlog(session, EventOutbox) == (0, None)
