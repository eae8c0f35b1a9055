"""News of a caisse and its newsletter.

Caisse agents publish news; partner users read their caisses' news and subscribe (opt-in)
to a caisse's newsletter. The newsletter is a digest of the news since the previous one, at
most every EP_NEWSLETTER_EVERY_DAYS; each email carries a one-click unsubscribe link whose
token is HMAC(the unsubscribe key, per-subscription salt): unguessable, stored only as its SHA-256,
and renewed (old links void) when the person subscribes again. The unsubscribe key is its own
(contracts.keys): a link's token is no identity nor ticket. Subscriptions made before it keep
their token (HMAC of the root secret, "newsletter:" salt) until they subscribe again: links already
mailed keep working.
"""
import base64
import hashlib
import hmac
import secrets
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contracts import keys, nir
from contracts.errors import FeatureNotOpen, InvalidToken, NotAuthorized, ValidationFailed
from services.common import ids
from services.notifier import fanout, rendering, settings
from services.notifier.models import News, NewsletterDigest, NewsletterSubscription, utcnow

MAX_PAGE = 50
DIGEST_BODY_CHARS = 600


# --- news ---------------------------------------------------------------------------------

NEWS = "actualites"


def my_caisses(who: dict) -> list[str]:
    """The caisses whose news this person reads: an agent's caisse; a partner's conventions that
    open « Actualités » (its other conventions: FeatureNotOpen, see ``_news_caisse``)."""
    if who["profile"] == "agent_caisse":
        return [who["caisse_code"]] if who.get("caisse_code") else []
    return [c["code"] for c in who.get("caisses") or [] if c.get("code") and NEWS in (c.get("features") or [])]


def _news_caisse(who: dict, caisse_code) -> str:
    """One caisse's news or newsletter for this person, or the refusal that says why not."""
    caisse_code = str(caisse_code or "")
    if caisse_code in my_caisses(who):
        return caisse_code
    if who["profile"] != "agent_caisse" and caisse_code in [c.get("code") for c in who.get("caisses") or []]:
        raise FeatureNotOpen(None, NEWS)
    raise NotAuthorized("Ces actualités ne concernent pas votre structure.")


def news_row(news: News) -> dict:
    return {"id": news.id, "caisse_code": news.caisse_code, "title": news.title, "body": news.body,
            "published_on": news.published_on.isoformat(), "published_on_label": news.published_on.strftime("%d/%m/%Y"),
            "author_name": news.author_name}


def publish(session: Session, who: dict, data: dict) -> dict:
    errors = {}
    title = str(data.get("title") or "").strip()
    body = str(data.get("body") or "").strip()
    # Partners read it: like every free text of the portal, never a NIR (contracts.nir).
    if nir.find_nir(title):
        errors["title"] = nir.MESSAGE
    elif not title:
        errors["title"] = "Titre : ce champ est obligatoire."
    elif len(title) > 200:
        errors["title"] = "Titre : 200 caractères au maximum."
    if nir.find_nir(body):
        errors["body"] = nir.MESSAGE
    elif not body:
        errors["body"] = "Texte : ce champ est obligatoire."
    elif len(body) > 10000:
        errors["body"] = "Texte : 10 000 caractères au maximum."
    try:
        published_on = date.fromisoformat(str(data["date"])) if data.get("date") else date.today()
    except ValueError:
        errors["date"] = "Date : format AAAA-MM-JJ attendu."
    if errors:
        raise ValidationFailed(None, errors)
    if not who.get("caisse_code"):
        raise NotAuthorized("Votre compte n'est rattaché à aucune caisse.")
    news = News(caisse_code=who["caisse_code"], title=title, body=body, published_on=published_on,
                author_id=who.get("id"),
                author_name=f"{who.get('first_name') or ''} {who.get('last_name') or ''}".strip())
    session.add(news)
    session.commit()
    return news_row(news)


def listing(session: Session, who: dict, caisse_code, cursor, limit) -> dict:
    """Newest first, keyset-paginated by ``next_cursor``. The admin reads every caisse's."""
    query = sa.select(News)
    if who["profile"] != "admin_national":
        allowed = [_news_caisse(who, caisse_code)] if caisse_code else my_caisses(who)
        if not allowed and who["profile"] != "agent_caisse":
            raise FeatureNotOpen(None, NEWS)
        query = query.where(News.caisse_code.in_(allowed))
    elif caisse_code:
        query = query.where(News.caisse_code == str(caisse_code))
    try:
        limit = max(1, min(int(limit or 20), MAX_PAGE))
    except (TypeError, ValueError):
        raise ValidationFailed(None, {"cursor": ids.BAD_CURSOR})
    if (after := ids.cursor(cursor)) is not None:
        query = query.where(News.id < after)
    rows = list(session.scalars(query.order_by(News.id.desc()).limit(limit + 1)))
    return {"rows": [news_row(n) for n in rows[:limit]], "next_cursor": rows[limit - 1].id if len(rows) > limit else None}


def announce_document(session: Session, payload: dict) -> int:
    """A document published on « Documentation » (requests' DOCUMENT_PUBLISHED): a news item for each caisse
    concerned, which its next newsletter carries. Redelivered, the event adds nothing (same title and body)."""
    what = "Nouvelle version" if payload.get("new_version") else "Nouveau document"
    title = f"{what} : {payload['title']} (version {payload['version']})"[:200]
    body = (f"{payload['category_label']} « {payload['title']} », version {payload['version']}, est disponible sur "
            f"la page « Documentation » du portail (document n° {int(payload['document_id'])}).")
    added = 0
    for code in dict.fromkeys(str(c) for c in payload.get("caisse_codes") or []):
        if session.scalar(sa.select(News.id).where(News.caisse_code == code, News.title == title, News.body == body)):
            continue
        session.add(News(caisse_code=code, title=title, body=body, published_on=date.today(),
                         author_name=str(payload.get("author_name") or "")[:170]))
        added += 1
    session.commit()
    return added


# --- subscriptions ------------------------------------------------------------------------

def _token(secret: str, salt: str) -> str:
    digest = hmac.new(keys.derive(secret, keys.UNSUBSCRIBE), salt.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _legacy_token(secret: str, salt: str) -> str:
    """The token of subscriptions made before the per-purpose keys (see above)."""
    digest = hmac.new(secret.encode(), f"newsletter:{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _link_token(secret: str, salt: str, token_hash: str) -> str:
    """The token whose hash the subscription stores: the per-purpose one, or a legacy one."""
    token = _token(secret, salt)
    return token if _hash(token) == token_hash else _legacy_token(secret, salt)


def _hash(token: str) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


def subscriptions(session: Session, who: dict) -> list[dict]:
    chosen = dict(session.execute(sa.select(NewsletterSubscription.caisse_code, NewsletterSubscription.subscribed)
                                  .where(NewsletterSubscription.account_id == who["id"])).all())
    return [{"caisse_code": code, "subscribed": bool(chosen.get(code, False))} for code in my_caisses(who)]


def set_subscription(session: Session, who: dict, caisse_code, subscribed: bool, secret: str) -> list[dict]:
    caisse_code = _news_caisse(who, caisse_code)
    row = session.scalars(sa.select(NewsletterSubscription).where(
        NewsletterSubscription.account_id == who["id"], NewsletterSubscription.caisse_code == str(caisse_code))).first()
    if row is None:
        row = NewsletterSubscription(account_id=who["id"], caisse_code=str(caisse_code), subscribed=False)
        session.add(row)
    if subscribed and not row.subscribed:             # a new subscription: a new unsubscribe link
        row.salt = secrets.token_urlsafe(32)
        row.token_hash = _hash(_token(secret, row.salt))
    row.subscribed, row.updated_at = bool(subscribed), utcnow()
    if row.salt is None:                               # never subscribed: still a unique, unusable token
        row.salt = secrets.token_urlsafe(32)
        row.token_hash = _hash(_token(secret, row.salt))
    session.commit()
    return subscriptions(session, who)


def unsubscribe_by_token(session: Session, token: str) -> dict:
    """The one-click link of every newsletter (GET page or RFC 8058 POST): idempotent."""
    row = session.scalars(sa.select(NewsletterSubscription).where(
        NewsletterSubscription.token_hash == _hash(str(token or "")))).first()
    if row is None:
        raise InvalidToken("Ce lien de désabonnement n'est pas valable.")
    if row.subscribed:
        row.subscribed, row.updated_at = False, utcnow()
        session.commit()
    return {"caisse_code": row.caisse_code, "subscribed": False}


# --- the digest ---------------------------------------------------------------------------

def _open_digests(session: Session, now: datetime) -> None:
    """A digest for each caisse with news since its last one, once the period has passed.
    The (caisse, last news) pair is unique: of two instances, one creates it."""
    last = (sa.select(NewsletterDigest.caisse_code, sa.func.max(NewsletterDigest.last_news_id).label("upto"),
                      sa.func.max(NewsletterDigest.created_at).label("at"))
            .group_by(NewsletterDigest.caisse_code).subquery())
    candidates = session.execute(
        sa.select(News.caisse_code, sa.func.min(News.id), sa.func.max(News.id))
        .outerjoin(last, last.c.caisse_code == News.caisse_code)
        .where(News.id > sa.func.coalesce(last.c.upto, 0),
               sa.or_(last.c.at.is_(None), last.c.at <= now - settings.newsletter_every()))
        .group_by(News.caisse_code)).all()
    for caisse_code, first_id, last_id in candidates:
        try:
            session.add(NewsletterDigest(caisse_code=caisse_code, first_news_id=first_id, last_news_id=last_id,
                                         created_at=now))
            session.commit()
        except IntegrityError:
            session.rollback()


def _digest_plan(session: Session, digest: NewsletterDigest, secret: str):
    items = [{"title": n.title, "date": n.published_on.strftime("%d/%m/%Y"),
              "body": n.body if len(n.body) <= DIGEST_BODY_CHARS else n.body[:DIGEST_BODY_CHARS].rstrip() + "…"}
             for n in session.scalars(sa.select(News).where(
                 News.caisse_code == digest.caisse_code, News.id.between(digest.first_news_id, digest.last_news_id))
                 .order_by(News.id))]

    def plan(people):
        salts = {account: (salt, token_hash) for account, salt, token_hash in session.execute(sa.select(
            NewsletterSubscription.account_id, NewsletterSubscription.salt, NewsletterSubscription.token_hash).where(
            NewsletterSubscription.caisse_code == digest.caisse_code, NewsletterSubscription.subscribed.is_(True),
            NewsletterSubscription.account_id.in_([p["account_id"] for p in people])))}
        planned = []
        for person in people:
            if person["account_id"] in salts:
                key = f"newsletter:{digest.id}:{person['email'].lower()}"     # one per address
                token = _link_token(secret, *salts[person["account_id"]])
                unsubscribe = rendering.link(f"/actualites/desabonnement/{token}")
                person = rendering.caused_by(person, digest.caisse_code)       # this caisse's letter
                planned.append((key, lambda key=key, person=person, unsubscribe=unsubscribe: rendering.mail(
                    "newsletter", key, person, items=items, caisse_code=digest.caisse_code,
                    news_link=rendering.link("/actualites"), unsubscribe_link=unsubscribe,
                    preferences_link=rendering.link("/mon-compte/notifications"),
                    headers={"List-Unsubscribe": f"<{unsubscribe}>",
                             "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})))
        return planned

    return plan


def send_digests(session: Session, users_of, secret: str, now: datetime | None = None) -> int:
    """``users_of(caisse_code, after_id)``: accounts' ``active_users``: only people still active
    and still with the caisse get it, at their current address."""
    now = now or utcnow()
    _open_digests(session, now)
    queued = 0
    pending = session.scalars(sa.select(NewsletterDigest.id).where(NewsletterDigest.completed_at.is_(None))
                              .order_by(NewsletterDigest.id)).all()
    for digest_id in pending:
        if not fanout.claim(session, NewsletterDigest, digest_id, NewsletterDigest.lease_until, now):
            continue
        digest = session.get(NewsletterDigest, digest_id)
        try:
            queued += fanout.queue_for_people(session, lambda after_id: users_of(digest.caisse_code, after_id),
                                              _digest_plan(session, digest, secret))
            digest.completed_at = utcnow()
        finally:
            digest.lease_until = None
            session.commit()
    return queued
