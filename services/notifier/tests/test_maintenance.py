"""Maintenance windows through the RPC methods (signed identities, real database): who may
schedule what, the banner's ``current_maintenance`` for anyone, and the notices: once per
version of the window, to the people of its scope only, again when it changes or is cancelled."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from contracts import nir
from contracts.errors import NotAuthenticated, NotAuthorized, NotFound, ValidationFailed
from services.notifier import maintenance
from services.notifier.models import MessageCaisse, OutboxMessage, utcnow
from services.notifier.tests.people import Directory, person

pytestmark = pytest.mark.db


def window(hours_ahead=72, length=2, **extra):
    start = utcnow().replace(second=0, microsecond=0) + timedelta(hours=hours_ahead)
    return {"starts_at": start.isoformat() + "Z", "ends_at": (start + timedelta(hours=length)).isoformat() + "Z",
            "message": "Mise à jour des serveurs.", **extra}


PEOPLE = [person(1, ["999"]), person(2, ["998"]), person(3, ["999", "998"]), person(4, ["999"]), person(5, [])]


def notices(db):
    return db.execute(sa.select(OutboxMessage.idempotency_key, OutboxMessage.recipient, OutboxMessage.subject)
                      .where(OutboxMessage.kind == "maintenance_notice").order_by(OutboxMessage.id)).all()


def test_who_may_schedule_what(as_):
    agent = as_("agent_999")
    own = agent.schedule_maintenance(window(caisse_code="999"))
    assert (own["caisse_code"], own["scope_label"], own["editable"]) == ("999", "Caisse 999", True)
    with pytest.raises(NotAuthorized):
        agent.schedule_maintenance(window(caisse_code="998"))
    national = as_("admin").schedule_maintenance(window())
    assert (national["caisse_code"], national["scope_label"]) == (None, "Toutes les caisses")
    with pytest.raises(NotAuthorized):
        agent.update_maintenance(national["id"], window(message="Autre"))
    with pytest.raises(NotFound):
        as_("agent_998").cancel_maintenance(own["id"])
    with pytest.raises(NotAuthorized):
        as_("tech_a").schedule_maintenance(window())
    with pytest.raises(NotAuthenticated):
        as_().list_maintenances()
    assert [w["id"] for w in as_("agent_998").list_maintenances()] == [national["id"]]
    assert {w["id"] for w in agent.list_maintenances()} == {own["id"], national["id"]}
    with pytest.raises(ValidationFailed) as refused:
        agent.schedule_maintenance(window(length=-1))
    assert refused.value.fields == {"ends_at": "La fin doit suivre le début."}


def test_banner_for_anyone_before_and_during_the_window(as_):
    admin = as_("admin")
    soon = admin.schedule_maintenance(window(hours_ahead=10, caisse_code="998"))
    running = admin.schedule_maintenance(window(hours_ahead=-1))
    admin.schedule_maintenance(window(hours_ahead=100))                    # beyond the 48 h lead: not yet
    anonymous = as_()
    assert [(w["id"], w["ongoing"]) for w in anonymous.current_maintenance("998")] == [
        (running["id"], True), (soon["id"], False)]
    assert [w["id"] for w in anonymous.current_maintenance("999")] == [running["id"]]
    assert [w["id"] for w in anonymous.current_maintenance()] == [running["id"]]
    admin.cancel_maintenance(soon["id"])
    assert [w["id"] for w in anonymous.current_maintenance("998")] == [running["id"]]


def test_notices_reach_the_scope_once_per_version(as_, db):
    directory = Directory(PEOPLE)
    agent = as_("agent_999")
    local = agent.schedule_maintenance(window(hours_ahead=72, caisse_code="999"))
    assert maintenance.send_notices(db, directory.users_of) == 0            # 72 h ahead: not yet
    now = utcnow() + timedelta(hours=25)                                     # now within the 48 h lead
    assert maintenance.send_notices(db, directory.users_of, now) == 3
    assert maintenance.send_notices(db, directory.users_of, now) == 0
    assert {r.recipient for r in notices(db)} == {f"personne{n}@structure.example.test" for n in (1, 3, 4)}
    assert {caisse for caisse, _ in directory.asked} == {"999"}

    agent.update_maintenance(local["id"], window(hours_ahead=96, caisse_code="999"))   # moved: told again at once
    assert maintenance.send_notices(db, directory.users_of, now) == 3
    changed = notices(db)[-1]
    assert changed.idempotency_key.startswith(f"maintenance:{local['id']}:v2:")
    assert changed.subject.startswith("Espace Partenaires : maintenance modifiée, le ")
    agent.update_maintenance(local["id"], window(hours_ahead=96, caisse_code="999"))   # same: no new version
    agent.cancel_maintenance(local["id"])
    assert maintenance.send_notices(db, directory.users_of, now) == 3
    assert notices(db)[-1].subject == "Espace Partenaires : maintenance annulée"
    assert len(notices(db)) == 9


def test_national_notice_goes_to_everyone_and_a_cancelled_untold_window_to_no_one(as_, db):
    directory = Directory(PEOPLE)
    admin = as_("admin")
    admin.schedule_maintenance(window(hours_ahead=24))
    untold = admin.schedule_maintenance(window(hours_ahead=200, caisse_code="998"))
    admin.cancel_maintenance(untold["id"])
    assert maintenance.send_notices(db, directory.users_of) == 5
    [(key, _, subject)] = notices(db)[:1]
    assert subject.startswith("Espace Partenaires : maintenance prévue le ")
    message = db.scalars(sa.select(OutboxMessage).limit(1)).one()
    assert "pour toutes les caisses" in message.body_text and "Mise à jour des serveurs." in message.body_html


def test_the_message_refuses_a_nir_like_every_free_text(as_):
    agent = as_("agent_999")
    for send in (agent.schedule_maintenance, lambda data: agent.update_maintenance(
            agent.schedule_maintenance(window())["id"], data)):
        with pytest.raises(ValidationFailed) as refused:
            send(window(message="Usager NIR 1 80 01 75 123 456 60 : rappel après la maintenance."))
        assert refused.value.fields == {"message": nir.MESSAGE}
    assert [w["message"] for w in agent.list_maintenances()] == ["Mise à jour des serveurs."]


def test_a_caisse_s_notice_is_filed_under_that_caisse_only(as_, db):
    """Person 3 belongs to 999 and 998: 999's maintenance told to them is 999's business, not 998's."""
    directory = Directory(PEOPLE)
    as_("agent_999").schedule_maintenance(window(hours_ahead=24, caisse_code="999"))
    assert maintenance.send_notices(db, directory.users_of) == 3
    filed = db.execute(sa.select(OutboxMessage.recipient, MessageCaisse.caisse_code).join(
        MessageCaisse, MessageCaisse.message_id == OutboxMessage.id)).all()
    assert {code for recipient, code in filed if recipient == "personne3@structure.example.test"} == {"999"}
    assert [r["recipient"] for r in as_("agent_998").delivery_log()["rows"]] == []


@pytest.mark.parametrize("starts_at, ends_at", [
    ("0001-01-01T00:00", "0001-01-01T00:30"), ("0001-01-01T00:00+01:00", "0001-01-01T00:30+01:00"),
    ("9999-12-31T23:00", "9999-12-31T23:59"), ("9999-12-31T23:59-01:00", "9999-12-31T23:59-02:00")])
def test_a_window_beyond_the_coming_year_is_refused_in_french(as_, starts_at, ends_at):
    with pytest.raises(ValidationFailed) as refused:
        as_("agent_999").schedule_maintenance(window(starts_at=starts_at, ends_at=ends_at))
    assert refused.value.fields["starts_at"] == "Début : une date dans l'année qui vient est attendue."
