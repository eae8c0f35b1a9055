"""What each service tells the supervision screen (its ``supervision`` RPC): that it answers (which
instance, on which database), its events not yet published, the last run of each of its sweeps;
each service adds its own per-caisse figures. The national admin sees every caisse, a caisse agent
only theirs: ``caisse_scope``."""
from sqlalchemy.orm import Session

from contracts.profiles import ADMIN_NATIONAL
from services.common import event_outbox, sweep_runs
from services.common.config import instance_id


def caisse_scope(who: dict) -> list[str] | None:
    """None: every caisse (the national admin); else the agent's own caisse only."""
    return None if who["profile"] == ADMIN_NATIONAL else [who["caisse_code"]]


def report(session: Session, service: str, sweep_model, sweep_labels: dict[str, str], outbox_model=None) -> dict:
    """The part every service shares; the events are global (not per caisse), like the sweeps."""
    answer = {"service": service, "status": "ok", "instance": instance_id(),
              "database": session.get_bind().dialect.name,
              "sweeps": sweep_runs.last_runs(session, sweep_model, sweep_labels)}
    if outbox_model is not None:
        pending, oldest = event_outbox.backlog(session, outbox_model)
        answer["events"] = {"pending": pending, "oldest_age_seconds": oldest}
    return answer
