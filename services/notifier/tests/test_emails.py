"""Every account email: its template rendered from a contract payload (subject,
absolute links, Paris time, text and HTML), and the handler writing one outbox
row per recipient per event on a real migrated database."""
import uuid

import pytest
from nameko.containers import ServiceContainer
from nameko.events import EventHandler
from nameko.testing.services import worker_factory

from contracts import dates, events
from services.notifier.models import OutboxMessage
from services.notifier.event_emails import EMAILS, render_for_recipients
from services.notifier.service import NotifierService

BASE = "https://partenaires.example.test"
HOSTILE = {"email": "Jeanne.Essai@Structure.example.test", "first_name": "Jeanne",
           "last_name": "<script>alert(1)</script>"}


@pytest.fixture(autouse=True)
def base_url(monkeypatch):
    monkeypatch.setenv("EP_BASE_URL", BASE + "/")       # a trailing slash must not double up in links


def render_one(event_type, **fields):
    event_id = str(uuid.uuid4())
    [mail] = render_for_recipients(event_type, {"event_id": event_id, "recipients": [HOSTILE], **fields})
    key, email, subject, text, html = mail.key, mail.recipient, mail.subject, mail.text, mail.html
    assert key == f"{event_type}:{event_id}:jeanne.essai@structure.example.test"
    assert email == HOSTILE["email"]
    assert text.strip() and html.strip()
    assert text.startswith("Bonjour Jeanne <script>alert(1)</script>,")          # plain text: as written
    assert "<script>" not in html and "Bonjour Jeanne &lt;script&gt;alert(1)&lt;/script&gt;," in html
    assert "{{" not in text + html + subject
    for body in (text, html):
        assert "Espace Partenaires — Assurance Maladie" in body
        assert "envoyé automatiquement" in body
    return subject, text, html


def has_link(text, html, path):
    url = BASE + path
    assert f"\n{url}\n" in text                     # alone on its line: nothing glued to it when copied
    assert f'href="{url}"' in html


def test_every_account_email_event_has_a_handler_and_templates():
    container = ServiceContainer(NotifierService, {"AMQP_URI": "memory://"})
    handled = {(e.source_service, e.event_type) for e in container.entrypoints if isinstance(e, EventHandler)}
    assert handled == {(events.ACCOUNTS, t) for t in events.ACCOUNT_EMAIL_EVENTS} | {
        (events.REQUESTS, events.REQUEST_STATUS_CHANGED), (events.REQUESTS, events.LATE_REQUESTS_SUMMARY),
        (events.REQUESTS, events.SUPPORT_REPORT_FILED), (events.REQUESTS, events.SUPPORT_REPORT_UPDATED),
        (events.REQUESTS, events.DOCUMENT_PUBLISHED)}
    assert set(EMAILS) == set(events.ACCOUNT_EMAIL_EVENTS) | {events.REQUEST_STATUS_CHANGED,
                                                              events.LATE_REQUESTS_SUMMARY,
                                                              events.SUPPORT_REPORT_FILED,
                                                              events.SUPPORT_REPORT_UPDATED}


def test_french_dates():
    assert dates.date_fr("2026-12-01") == "01/12/2026"
    assert dates.datetime_fr_at("2026-01-15T08:05:00Z") == "15/01/2026 à 09:05"            # UTC+1
    assert dates.datetime_fr_at("2026-07-01T22:30:00.123456Z") == "02/07/2026 à 00:30"     # UTC+2, next day
    assert dates.datetime_fr_at("2026-07-01T22:30:00") == "02/07/2026 à 00:30"              # naive = UTC
    assert dates.datetime_fr_long("2026-11-30T23:15:00Z") == "mardi 1er décembre 2026 à 00:15"
    assert dates.datetime_fr_long("2026-03-29T10:00:00+00:00") == "dimanche 29 mars 2026 à 12:00"


def test_a_wall_clock_time_out_of_the_calendar_in_utc_is_unreadable_not_an_overflow():
    assert dates.paris_wall_clock_to_utc("2026-07-01T10:00") == "2026-07-01T08:00:00+00:00"
    assert dates.paris_wall_clock_to_utc("0001-01-01T00:00") is None           # year 0 in UTC
    assert dates.paris_wall_clock_to_utc("9999-12-31T23:59-01:00") is None     # year 10000 in UTC
    assert dates.paris_wall_clock_to_utc("lundi") is None


def test_password_reset():
    subject, text, html = render_one(events.PASSWORD_RESET_REQUESTED, token="jeton-1",
                                     expires_at="2026-07-01T22:30:00Z")
    assert subject == "Espace Partenaires : réinitialisation de votre mot de passe"
    has_link(text, html, "/mot-de-passe/nouveau/jeton-1")
    assert "ne sert qu'une fois et expire le 02/07/2026 à 00:30 (heure de Paris)" in text
    assert "02/07/2026 à 00:30" in html


def test_account_invited():
    subject, text, html = render_one(events.ACCOUNT_INVITED, token="jeton-2", expires_at="2026-11-30T23:15:00Z",
                                     profile_label="Gestionnaire", organisation="CCAS d'Essai & Cie")
    assert subject == "Espace Partenaires : votre habilitation"
    has_link(text, html, "/activation/jeton-2")
    assert "profil « Gestionnaire », pour CCAS d'Essai & Cie." in text
    assert "CCAS d&#39;Essai &amp; Cie" in html
    for body in (text, html):
        assert "ne sert qu'une fois" in body
        assert "mardi 1er décembre 2026 à 00:15" in body
        assert "demander l'envoi d'un nouveau lien" in body


def test_account_invited_without_organisation():
    _, text, _ = render_one(events.ACCOUNT_INVITED, token="t", expires_at="2026-11-30T23:15:00Z",
                            profile_label="Agent de caisse", organisation="")
    assert "profil « Agent de caisse »." in text and "double authentification" not in text


def test_a_staff_invitation_announces_the_second_factor():
    _, text, html = render_one(events.ACCOUNT_INVITED, token="t", expires_at="2026-11-30T23:15:00Z",
                               profile_label="Agent de caisse", organisation="CPAM d'Essai",
                               second_factor_required=True)
    assert "vous activerez la double authentification, obligatoire pour votre profil" in text
    assert "<strong>double authentification</strong>" in html


def test_password_changed():
    subject, text, html = render_one(events.PASSWORD_CHANGED, changed_at="2026-01-15T08:05:00Z")
    assert subject == "Espace Partenaires : votre mot de passe a été modifié"
    has_link(text, html, "/mot-de-passe/oublie")
    for body in (text, html):
        assert "15/01/2026 à 09:05" in body
        assert "votre gestionnaire ou votre caisse" in body
        assert "« Mot de passe oublié »" in body


def test_email_changed_tells_the_old_address_where_the_account_went_masked():
    subject, text, html = render_one(events.EMAIL_CHANGED, changed_at="2026-01-15T08:05:00Z",
                                     changed_by="CPAM de Valfleuri", new_email="n…@ccas.example.test")
    assert subject == "Espace Partenaires : l'adresse de votre compte a été changée"
    for body in (text, html):
        assert "15/01/2026 à 09:05" in body and "CPAM de Valfleuri" in body and "n…@ccas.example.test" in body
        assert "sessions ouvertes ont été fermées" in body and "ne fonctionnent plus" in body
        assert "votre gestionnaire ou votre caisse" in body


def test_email_changed_new_welcomes_the_new_address():
    subject, text, html = render_one(events.EMAIL_CHANGED_NEW, changed_at="2026-01-15T08:05:00Z",
                                     changed_by="CPAM de Valfleuri")
    assert subject == "Espace Partenaires : votre compte utilise désormais cette adresse"
    has_link(text, html, "/connexion")
    for body in (text, html):
        assert "15/01/2026 à 09:05" in body and "CPAM de Valfleuri" in body


@pytest.mark.parametrize("change", events.SECOND_FACTOR_CHANGES)
def test_second_factor_changed(change):
    subject, text, html = render_one(events.SECOND_FACTOR_CHANGED, change=change, changed_at="2026-01-15T08:05:00Z")
    assert subject == "Espace Partenaires : votre double authentification"
    has_link(text, html, "/mon-compte/double-authentification")
    for body in (text, html):
        assert "15/01/2026 à 09:05" in body and "votre gestionnaire ou votre caisse" in body
    assert ("activée" if change == "enrolled" else "désactivée" if change == "disabled" else "secours") in text


def test_account_inactivated():
    subject, text, html = render_one(events.ACCOUNT_INACTIVATED, reason_label="fin de la convention avec la caisse")
    assert subject == "Espace Partenaires : votre compte a été inactivé"
    assert "Motif : fin de la convention avec la caisse." in text
    assert "fin de la convention avec la caisse" in html
    assert BASE not in text                              # nothing to click: the account is closed


def test_fraud_inactivation():
    subject, text, html = render_one(events.FRAUD_INACTIVATION, account_name="Paul <b>Martin</b>",
                                     reason_label="suspicion de fraude", partner_name="CCAS d'Essai")
    assert subject == "Espace Partenaires : inactivation immédiate d'un compte de votre structure"
    assert "a inactivé immédiatement le compte Espace Partenaires de Paul <b>Martin</b> (CCAS d'Essai)" in text
    assert "Paul &lt;b&gt;Martin&lt;/b&gt;" in html and "<b>Martin" not in html
    for body in (text, html):
        assert "suspicion de fraude" in body
        assert "contactez votre caisse" in body


def test_fraud_inactivation_of_the_only_gestionnaire_to_the_referents():
    subject, text, html = render_one(events.FRAUD_INACTIVATION, account_name="Paul Martin", to_referents=True,
                                     reason_label="suspicion de fraude", partner_name="CCAS d'Essai")
    for body in (text, html):
        assert "C'était le seul gestionnaire de CCAS d'Essai" in body.replace("&#39;", "'")
        assert "référent de la convention" in body and "en tant que gestionnaire" not in body


PARTIES = {"caisse_name": "CPAM des Hauts-Fictifs", "partner_name": "CCAS d'Essai"}


def test_convention_proposed():
    subject, text, html = render_one(events.CONVENTION_PROPOSED, start_date="2027-01-01", **PARTIES)
    assert subject == "Espace Partenaires : CPAM des Hauts-Fictifs propose une convention à votre structure"
    has_link(text, html, "/conventions")
    assert "à compter du 01/01/2027" in text and "ne voit que le nom de votre structure" in text


@pytest.mark.parametrize("accepted, word", [(True, "accepté"), (False, "refusé")])
def test_convention_answered(accepted, word):
    subject, text, html = render_one(events.CONVENTION_ANSWERED, accepted=accepted, **PARTIES)
    assert subject == f"Espace Partenaires : CCAS d'Essai a {word} la convention proposée"
    assert f"CCAS d'Essai a {word} la convention proposée par CPAM des Hauts-Fictifs" in text
    has_link(text, html, "/partenaires")


@pytest.mark.parametrize("suspended, caisse, sentence", [
    (True, "CPAM des Hauts-Fictifs", "est suspendu pour CPAM des Hauts-Fictifs."),
    (True, "", "est suspendu pour toutes les caisses, par l'administrateur national."),
    (False, "CPAM des Hauts-Fictifs", "est rétabli pour CPAM des Hauts-Fictifs."),
])
def test_partner_access_changed(suspended, caisse, sentence):
    subject, text, html = render_one(events.PARTNER_ACCESS_CHANGED, suspended=suspended,
                                     caisse_name=caisse, partner_name="CCAS d'Essai")
    assert subject.endswith("suspendu" if suspended else "rétabli")
    assert f"L'accès de CCAS d'Essai à l'Espace Partenaires {sentence}" in text


def test_convention_ending():
    subject, text, html = render_one(events.CONVENTION_ENDING, end_date="2027-03-31", **PARTIES)
    assert subject == ("Espace Partenaires : la convention entre CCAS d'Essai et CPAM des Hauts-Fictifs "
                       "prend fin le 31/03/2027")
    assert "prend fin le 31/03/2027 (sans reconduction)" in text and "31/03/2027" in html


def test_inactivity_warning():
    subject, text, html = render_one(events.INACTIVITY_WARNING, inactivation_date="2026-12-01")
    assert subject == "Espace Partenaires : votre compte sera inactivé le 01/12/2026"
    has_link(text, html, "/connexion")
    assert "votre compte sera inactivé le 01/12/2026" in text
    assert "il suffit de vous connecter avant cette date" in text
    assert "01/12/2026" in html


def test_inactivity_warning_says_whose_rule_and_who_to_turn_to():
    """The rule is a caisse's (« Paramètres de la caisse »): the email names it, and the caisses' referents."""
    person = {**HOSTILE, "contacts": [{"name": "CPAM d'Essai", "referents": [
        {"kind": "person", "name": "Anne <i>Vidal</i>", "function": "Référente", "phones": ["01 23 45 67 89", "06 12 34 56 78"],
         "phone": "", "email": "a.vidal@cpam.test"}]}]}
    [mail] = render_for_recipients(events.INACTIVITY_WARNING, {
        "event_id": "e1", "recipients": [person], "inactivation_date": "2026-12-01", "inactivity_days": 60,
        "caisse_name": "CPAM d'Essai"})
    assert "Selon la convention de votre structure avec la CPAM d'Essai, un compte de technicien sans connexion " \
           "pendant 60 jours est inactivé." in mail.text
    assert "- CPAM d'Essai : Anne <i>Vidal</i>, Référente, 01 23 45 67 89, 06 12 34 56 78, a.vidal@cpam.test" in mail.text
    assert "Anne &lt;i&gt;Vidal&lt;/i&gt;" in mail.html and 'href="mailto:a.vidal@cpam.test"' in mail.html
    assert "Vos contacts" not in render_one(events.INACTIVITY_WARNING, inactivation_date="2026-12-01")[1]


@pytest.mark.parametrize("reminder, subject", [
    (False, "Espace Partenaires : revue des habilitations à confirmer"),
    (True, "Rappel : Espace Partenaires : revue des habilitations à confirmer"),
])
def test_review_requested(reminder, subject):
    rendered_subject, text, html = render_one(events.REVIEW_REQUESTED, partner_name="CCAS d'Essai",
                                              caisse_name="CPAM de l'Essonne", reminder=reminder)
    assert rendered_subject == subject
    has_link(text, html, "/habilitations")
    assert "CPAM de l'Essonne vous demande" in text
    assert "tableau des habilitations\nde CCAS d'Essai et de le confirmer" in text
    assert ("rappel" in text) is reminder and ("rappel" in html) is reminder


@pytest.mark.db
def test_one_outbox_row_per_recipient_and_event(migrated_session):
    session = migrated_session("notifier")
    notifier = worker_factory(NotifierService, db=session, mailer=None)
    long_email = "jean-christophe.de-la-fontaine-moreau@cpam-provence-alpes-cote-d-azur.example.test"
    payload = {"event_id": str(uuid.uuid4()), "account_name": "Paul Martin", "reason_label": "suspicion de fraude",
               "partner_name": "CCAS d'Essai",
               "recipients": [{"email": "A@essai.test", "first_name": "Anne", "last_name": "Aubert"},
                              {"email": long_email, "first_name": "Jean", "last_name": "Moreau"}]}
    notifier.on_fraud_inactivation(payload)
    notifier.on_fraud_inactivation(payload)                                  # redelivered: nothing more
    # accounts gives its fraud and "account inactivated" events one event_id: both emails go out.
    notifier.on_account_inactivated({"event_id": payload["event_id"], "reason_label": "suspicion de fraude",
                                     "recipients": [{"email": "a@essai.test", "first_name": "Anne",
                                                     "last_name": "Aubert"}]})
    rows = session.query(OutboxMessage).order_by(OutboxMessage.id).all()
    assert [(m.kind, m.recipient) for m in rows] == [
        ("fraud_inactivation", "A@essai.test"), ("fraud_inactivation", long_email),
        ("account_inactivated", "a@essai.test")]
    assert rows[0].idempotency_key == f"fraud_inactivation:{payload['event_id']}:a@essai.test"


def test_request_status_changed():
    subject, text, html = render_one(events.REQUEST_STATUS_CHANGED, reference="DP-2026-000042",
                                     kind_label="Demander un document", status_label="En attente du partenaire",
                                     new_message=False, request_id=42)
    assert subject == "Espace Partenaires : du nouveau sur la demande DP-2026-000042"
    has_link(text, html, "/demandes/42")
    assert "Nouveau statut : En attente du partenaire." in text
    _, text, _ = render_one(events.REQUEST_STATUS_CHANGED, reference="DP-2026-000042", kind_label="x",
                            status_label="Prise en charge", new_message=True, request_id=42)
    assert "Un nouveau message de la caisse vous attend." in text


def test_late_requests_summary():
    subject, text, html = render_one(events.LATE_REQUESTS_SUMMARY, caisse_name="CPAM de Valfleuri", count=12,
                                     late_after_days=10, references=[f"DP-2026-{n:06d}" for n in range(10)])
    assert subject == "Espace Partenaires : 12 demandes en retard à la CPAM de Valfleuri"
    has_link(text, html, "/file?late=1")
    assert "- DP-2026-000009" in text and "et 2 autre(s)" in text


def test_support_report_filed_to_the_referents():
    subject, text, html = render_one(events.SUPPORT_REPORT_FILED, reference="SUP-2026-000007",
                                     category_label="Accessibilité", caisse_name="CPAM de Valfleuri",
                                     organisation="CCAS d'Essai & Cie", report_id=7)
    assert subject == "Espace Partenaires : signalement SUP-2026-000007 (Accessibilité)"
    has_link(text, html, "/support/7")
    assert "adressé à CPAM de Valfleuri par CCAS d'Essai & Cie : SUP-2026-000007." in text
    assert "CCAS d&#39;Essai &amp; Cie" in html


def test_support_report_updated_to_the_reporter():
    subject, text, html = render_one(events.SUPPORT_REPORT_UPDATED, reference="SUP-2026-000007",
                                     status_label="Répondu", answered=True, report_id=7)
    assert subject == "Espace Partenaires : du nouveau sur votre signalement SUP-2026-000007"
    has_link(text, html, "/support/7")
    assert "Une réponse à votre signalement SUP-2026-000007 vous attend." in text
    _, text, _ = render_one(events.SUPPORT_REPORT_UPDATED, reference="SUP-2026-000007", status_label="Clos",
                            answered=False, report_id=7)
    assert "Votre signalement SUP-2026-000007 est maintenant : Clos." in text
@pytest.mark.parametrize("audience, path, opening", [
    ("partner", "/demandes-caisse/7", "Votre demande à CPAM des Hauts-Fictifs : habilitation d'un gestionnaire (Nora Relève)."),
    ("caisse", "/caisse/demandes-partenaires/7",
     "Demande de CCAS d'Essai à CPAM des Hauts-Fictifs : habilitation d'un gestionnaire (Nora Relève)."),
])
def test_account_request_step(audience, path, opening):
    subject, text, html = render_one(events.ACCOUNT_REQUEST_STEP, audience=audience, kind_label="Habilitation d'un gestionnaire",
                                     status_label="En attente de la caisse", account_name="Nora Relève",
                                     what="Demande d'habilitation de Nora Relève, souhaitée pour le 10/12/2026.",
                                     request_id=7, due_date="2026-12-09", **PARTIES)
    assert subject == "Espace Partenaires : habilitation d'un gestionnaire (Nora Relève) — en attente de la caisse"
    assert opening in text and "souhaitée pour le 10/12/2026." in text
    assert "État : En attente de la caisse (à traiter au plus tard le 09/12/2026)." in text
    has_link(text, html, path)
