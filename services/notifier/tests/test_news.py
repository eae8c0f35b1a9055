"""News and the newsletter through the RPC methods: who publishes and reads what, opt-in
subscriptions, the digest of the news since the last one (once, even with two instances,
only to subscribers), and the one-click unsubscribe link and headers, delivered over SMTP."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from contracts import nir
from contracts.errors import FeatureNotOpen, InvalidToken, NotAuthorized, ValidationFailed
from services.notifier import news, outbox
from services.notifier.mailer import SmtpMailer
from services.notifier.models import MessageCaisse, NewsletterSubscription, OutboxMessage, utcnow
from services.notifier.tests.conftest import SECRET
from services.notifier.tests.people import Directory, person

pytestmark = pytest.mark.db
BASE = "https://partenaires.example.test"


@pytest.fixture(autouse=True)
def base_url(monkeypatch):
    monkeypatch.setenv("EP_BASE_URL", BASE)
    monkeypatch.setenv("EP_NEWSLETTER_EVERY_DAYS", "7")


def newsletters(db):
    return db.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "newsletter").order_by(OutboxMessage.id)).all()


def test_publishing_and_reading(as_):
    agent = as_("agent_999")
    first = agent.publish_news({"title": "Nouveaux horaires", "body": "L'accueil ouvre à 8 h 30.", "date": "2026-05-02"})
    assert (first["caisse_code"], first["published_on_label"], first["author_name"]) == ("999", "02/05/2026",
                                                                                        "Claire Dumoulin")
    as_("agent_998").publish_news({"title": "Fermeture", "body": "Fermé le 14 juillet."})
    with pytest.raises(NotAuthorized):
        as_("tech_a").publish_news({"title": "x", "body": "y"})
    with pytest.raises(ValidationFailed) as refused:
        agent.publish_news({"title": "", "body": "y"})
    assert refused.value.fields == {"title": "Titre : ce champ est obligatoire."}
    assert [n["title"] for n in as_("tech_a").list_news()["rows"]] == ["Nouveaux horaires"]
    assert [n["title"] for n in as_("tech_b").list_news()["rows"]] == ["Fermeture", "Nouveaux horaires"]
    with pytest.raises(NotAuthorized):
        as_("tech_a").list_news("998")
    for n in range(3):
        agent.publish_news({"title": f"Info {n}", "body": "…"})
    page = as_("tech_a").list_news(limit=2)
    following = as_("tech_a").list_news(cursor=page["next_cursor"], limit=2)
    assert [n["title"] for n in page["rows"] + following["rows"]] == ["Info 2", "Info 1", "Info 0",
                                                                       "Nouveaux horaires"]
    assert following["next_cursor"] is None


def test_subscriptions_are_opt_in_and_per_caisse(as_):
    tech = as_("tech_b")
    assert tech.my_newsletter_subscriptions() == [{"caisse_code": "999", "subscribed": False},
                                                  {"caisse_code": "998", "subscribed": False}]
    assert tech.set_newsletter_subscription("998", True)[1] == {"caisse_code": "998", "subscribed": True}
    with pytest.raises(NotAuthorized):
        as_("tech_a").set_newsletter_subscription("998", True)
    with pytest.raises(NotAuthorized):
        as_("agent_999").my_newsletter_subscriptions()


def test_news_only_where_the_convention_opens_them(as_):
    """« Actualités » is a feature of the convention: the service refuses it elsewhere (not only the menu)."""
    as_("agent_999").publish_news({"title": "Pour 999", "body": "…"})
    as_("agent_998").publish_news({"title": "Pour 998", "body": "…"})
    split = {"caisses": [{"code": "999", "features": ["document"]}, {"code": "998", "features": ["actualites"]}]}
    tech = as_("tech_b", **split)
    assert [n["title"] for n in tech.list_news()["rows"]] == ["Pour 998"]
    for call in (lambda: tech.list_news("999"), lambda: tech.set_newsletter_subscription("999", True)):
        with pytest.raises(FeatureNotOpen) as refused:
            call()
        assert refused.value.message.startswith("Non ouvert à votre structure") and refused.value.feature == "actualites"
    assert tech.my_newsletter_subscriptions() == [{"caisse_code": "998", "subscribed": False}]
    closed = as_("tech_a", caisses=[{"code": "999", "features": ["document", "historique"]}])
    with pytest.raises(FeatureNotOpen):
        closed.list_news()
    assert closed.my_newsletter_subscriptions() == []
    with pytest.raises(NotAuthorized) as elsewhere:
        closed.list_news("998")                                             # no convention at all
    assert not isinstance(elsewhere.value, FeatureNotOpen)
    assert [n["title"] for n in as_("agent_999").list_news()["rows"]] == ["Pour 999"]   # the caisse side: unchanged


def test_digest_once_to_subscribers_with_one_click_unsubscribe(as_, db, mailcatcher):
    agent = as_("agent_999")
    for title in ("Nouveaux horaires", "Campagne de vaccination"):
        agent.publish_news({"title": title, "body": f"Détails : {title}."})
    as_("tech_a").set_newsletter_subscription("999", True)                 # account 5
    as_("tech_b").set_newsletter_subscription("999", True)                 # account 9
    as_("tech_b").set_newsletter_subscription("999", False)                # changed their mind
    directory = Directory([person(5, ["999"]), person(9, ["999", "998"]), person(12, ["999"])])

    assert news.send_digests(db, directory.users_of, SECRET) == 1
    assert news.send_digests(Session(db.bind), directory.users_of, SECRET) == 0   # a second instance
    [letter] = newsletters(db)
    assert letter.recipient == "personne5@structure.example.test"
    assert letter.subject == "Espace Partenaires : les actualités de votre caisse (2 nouvelles)"
    assert "Nouveaux horaires" in letter.body_text and "Campagne de vaccination" in letter.body_html

    outbox.deliver_due(db, SmtpMailer("127.0.0.1", mailcatcher.smtp_port, timeout=5))
    [received] = mailcatcher.messages()
    unsubscribe = received["headers"]["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith(f"{BASE}/actualites/desabonnement/")
    assert received["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"\r\n{unsubscribe}\r\n" in received["text"] and f'href="{unsubscribe}"' in received["html"]
    token = unsubscribe.rsplit("/", 1)[1]
    assert token not in str(db.scalars(sa.select(NewsletterSubscription.token_hash)).all())   # stored hashed

    # Only news since the last digest, and not before the period is over.
    agent.publish_news({"title": "Journée portes ouvertes", "body": "Le 12 juin."})
    assert news.send_digests(db, directory.users_of, SECRET) == 0
    later = utcnow() + timedelta(days=8)
    assert news.send_digests(db, directory.users_of, SECRET, later) == 1
    second = newsletters(db)[-1]
    assert "Journée portes ouvertes" in second.body_text and "Nouveaux horaires" not in second.body_text

    assert as_().unsubscribe_by_token(token) == {"caisse_code": "999", "subscribed": False}
    assert as_().unsubscribe_by_token(token) == {"caisse_code": "999", "subscribed": False}   # idempotent
    assert as_("tech_a").my_newsletter_subscriptions() == [{"caisse_code": "999", "subscribed": False}]
    with pytest.raises(InvalidToken):
        as_().unsubscribe_by_token("pas-un-jeton")
    agent.publish_news({"title": "Encore", "body": "…"})
    assert news.send_digests(db, directory.users_of, SECRET, later + timedelta(days=8)) == 0


def test_a_caisse_s_newsletter_is_filed_under_that_caisse_only(as_, db):
    """The subscriber's partner works with 999 and 998: 999's letter is not 998's to read in its log."""
    as_("agent_999").publish_news({"title": "Nouveaux horaires", "body": "Dès lundi."})
    as_("tech_a").set_newsletter_subscription("999", True)                 # account 5
    assert news.send_digests(db, Directory([person(5, ["999", "998"])]).users_of, SECRET) == 1
    assert db.scalars(sa.select(MessageCaisse.caisse_code)).all() == ["999"]
    assert as_("agent_998").delivery_log()["rows"] == []


def test_unsubscribe_links_have_their_own_key_and_links_already_mailed_still_work(as_, db):
    """Issue 16: the unsubscribe key is derived for that purpose alone (contracts.keys); a subscription
    made before keeps its token, so the links of newsletters already sent keep unsubscribing."""
    import base64
    import hashlib
    import hmac

    as_("agent_999").publish_news({"title": "Nouveaux horaires", "body": "Détails."})
    for role in ("tech_a", "tech_b"):
        as_(role).set_newsletter_subscription("999", True)
    rows = {r.account_id: r for r in db.scalars(sa.select(NewsletterSubscription))}
    legacy = base64.urlsafe_b64encode(hmac.new(SECRET.encode(), f"newsletter:{rows[9].salt}".encode(),
                                               hashlib.sha256).digest()).decode().rstrip("=")
    assert hashlib.sha256(legacy.encode()).hexdigest() != rows[9].token_hash       # not the root secret's
    rows[9].token_hash = hashlib.sha256(legacy.encode()).hexdigest()             # as subscribed before
    db.commit()

    directory = Directory([person(5, ["999"]), person(9, ["999"])])
    assert news.send_digests(db, directory.users_of, SECRET) == 2                    # one letter each
    links = {m.recipient: m.body_text for m in newsletters(db)}
    assert legacy in links["personne9@structure.example.test"]
    assert legacy not in links["personne5@structure.example.test"]
    assert as_().unsubscribe_by_token(legacy) == {"caisse_code": "999", "subscribed": False}


def test_a_published_document_becomes_a_news_item_of_each_caisse_once(as_, db):
    """requests' DOCUMENT_PUBLISHED: the news of each caisse concerned, so its next newsletter; redelivered,
    nothing more."""
    payload = {"event_id": "e-1", "document_id": 12, "caisse_codes": ["999", "998"], "title": "Guide du portail",
               "version": "2", "category_label": "Guide d'utilisation", "new_version": True, "author_name": "Admin"}
    assert news.announce_document(db, payload) == 2
    assert news.announce_document(db, payload) == 0
    [item] = as_("tech_a").list_news()["rows"]
    assert item["title"] == "Nouvelle version : Guide du portail (version 2)"
    assert "page « Documentation » du portail" in item["body"]
    assert [n["title"] for n in as_("agent_998").list_news()["rows"]] == [item["title"]]
    as_("tech_a").set_newsletter_subscription("999", True)
    assert news.send_digests(db, Directory([person(5, ["999"])]).users_of, SECRET) == 1
    [letter] = newsletters(db)
    assert "Nouvelle version : Guide du portail (version 2)" in letter.body_text


def test_news_refuses_a_nir_on_its_field_like_every_free_text(as_, db):
    agent = as_("agent_999")
    with pytest.raises(ValidationFailed) as refused:
        agent.publish_news({"title": "Usager NIR 1 80 01 75 123 456 60", "body": "Dossier 1.80.01.75.123.456-60"})
    assert refused.value.fields == {"title": nir.MESSAGE, "body": nir.MESSAGE}
    assert as_("tech_a").list_news()["rows"] == []
