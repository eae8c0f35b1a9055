"""AccountsService workers on a real migrated database (worker_factory)."""

import pytest
from nameko.testing.services import worker_factory

from contracts import events, identity
from contracts.errors import AccountInactive, InvalidCredentials, InvalidToken, NotAuthenticated, ValidationFailed
from services.accounts import passwords
from services.accounts.models import Account
from services.accounts.seed import DEMO_ACCOUNTS, seed
from services.accounts.service import AccountsService
from services.common.caller import CallerIdentity

pytestmark = pytest.mark.db
SECRET = "k" * 40
TECHNICIEN = next(a for a in DEMO_ACCOUNTS if a[0] == "technicien")


@pytest.fixture
def session(migrated_session):
    db = migrated_session("accounts")
    seed(db)
    return db


def make_worker(session, token=None):
    return worker_factory(AccountsService, db=session, caller=CallerIdentity(token, SECRET))


def test_demo_technicien_authenticates(session):
    _, email, password, *_ = TECHNICIEN
    summary = make_worker(session).authenticate(email.upper(), password)
    assert summary["profile"] == "technicien"
    assert summary["partner_name"] == "CCAS de Saint-Exemple"
    assert session.get(Account, summary["id"]).last_login_at is not None


def test_wrong_password_and_unknown_email_get_the_same_error(session):
    worker = make_worker(session)
    with pytest.raises(InvalidCredentials) as wrong:
        worker.authenticate(TECHNICIEN[1], "pas-le-bon-mot-de-passe")
    with pytest.raises(InvalidCredentials) as unknown:
        worker.authenticate("personne@inconnu.test", "pas-le-bon-mot-de-passe")
    assert wrong.value.message == unknown.value.message == "Adresse électronique ou mot de passe incorrect."


def test_inactive_account_cannot_log_in(session):
    account = session.query(Account).filter_by(email=TECHNICIEN[1]).one()
    account.status = "inactive"
    session.commit()
    with pytest.raises(AccountInactive):
        make_worker(session).authenticate(TECHNICIEN[1], TECHNICIEN[2])


def test_me_requires_a_valid_signed_identity(session):
    account = session.query(Account).filter_by(email=TECHNICIEN[1]).one()
    token = identity.sign({"id": account.id, "profile": "technicien"}, SECRET)
    assert make_worker(session, token).me()["email"] == TECHNICIEN[1]
    with pytest.raises(NotAuthenticated):
        make_worker(session, token + "0").me()
    with pytest.raises(NotAuthenticated):
        make_worker(session, None).me()


def test_reset_link_is_single_use_and_follows_the_rules(session):
    worker = make_worker(session)
    worker.request_password_reset(TECHNICIEN[1])
    (event_type, payload), _ = worker.dispatch.call_args
    assert event_type == events.PASSWORD_RESET_REQUESTED
    token = payload["token"]

    with pytest.raises(ValidationFailed) as weak:
        worker.reset_password(token, "court")
    assert "12 caractères" in weak.value.fields["password"]

    worker.reset_password(token, "Nouveau-Mot-2026!")
    assert worker.authenticate(TECHNICIEN[1], "Nouveau-Mot-2026!")["profile"] == "technicien"
    with pytest.raises(InvalidToken):
        worker.reset_password(token, "Encore-Un-Autre-2026!")


def test_a_new_reset_link_voids_the_previous_one(session):
    worker = make_worker(session)
    worker.request_password_reset(TECHNICIEN[1])
    first = worker.dispatch.call_args[0][1]["token"]
    worker.request_password_reset(TECHNICIEN[1])
    second = worker.dispatch.call_args[0][1]["token"]
    with pytest.raises(InvalidToken):
        worker.reset_password(first, "Nouveau-Mot-2026!")
    worker.reset_password(second, "Nouveau-Mot-2026!")


def test_unknown_email_reset_dispatches_nothing(session):
    worker = make_worker(session)
    worker.request_password_reset("personne@inconnu.test")
    assert worker.dispatch.call_count == 0


@pytest.mark.parametrize("password, missing", [
    ("Abcdefgh1234!", []),
    ("abcdefgh1234!", ["au moins une lettre minuscule et une lettre majuscule"]),
    ("Abcdefghijkl!", ["au moins un chiffre"]),
    ("Abcdefgh1234", ["au moins un caractère spécial (par exemple ! ? @ # - _)"]),
    ("Ab1!", ["au moins 12 caractères"]),
])
def test_password_rules(password, missing):
    assert passwords.rule_violations(password) == missing


def test_hashes_are_argon2id_and_verify():
    hashed = passwords.hash_password("Abcdefgh1234!")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, "Abcdefgh1234!")
    assert not passwords.verify_password(hashed, "Abcdefgh1234?")
    assert not passwords.verify_password(None, "Abcdefgh1234!")
