"""Finding requests by the insured person's name, at any volume.

Every typed word must match the start of a word of the insured's names, accents and case
ignored (« mart » finds Martin, « dupont jean » finds Jean Dupont). Each request keeps, in
``request_name_word``, every prefix of every word of its insured's names (edge n-grams, up to
``MAX_PREFIX`` characters), next to its scope keys (caisse, partner) and creation date. A typed
word is then one *equality* on the index (prefix, caisse_code | partner_id, created_at,
request_id): the database walks a single index range already in the lists' keyset order and stops
after one page, whether the word matches ten requests or fifty thousand. A range scan over whole
words (``word >= 'mart' AND word < 'mart\\uffff'``) would have to read and sort every match of a
common name before the first row. The same portable SQL serves SQLite and PostgreSQL.

The rows are written in the request's transaction (submission, the demo seed), removed with the
request (erasure, retention), and rebuilt from the names by migration 0014.
"""
import re
import unicodedata

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.requests.models import PartnerRequest, RequestNameWord

# Longer typed words are matched on their first MAX_PREFIX characters through the index, and in
# full against the request's normalised names (``insured_key``): names rarely go beyond it.
MAX_PREFIX = 12
MAX_WORDS = 6
_WORD = re.compile(r"[a-z0-9]+")


def plain_words(text: str) -> list[str]:
    """Lower-case, accent-free words (« Lefèvre-Dupré » -> lefevre, dupre)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", (text or "").lower()) if not unicodedata.combining(c))
    return _WORD.findall(plain)


def prefixes(last_name: str, first_name: str) -> set[str]:
    """Every prefix (1 to MAX_PREFIX characters) of every word of the names, once."""
    return {word[:n] for word in plain_words(f"{last_name} {first_name}")
            for n in range(1, min(len(word), MAX_PREFIX) + 1)}


def rows(request_id: int, caisse_code: str, partner_id: int, created_at, last_name: str, first_name: str) -> list[dict]:
    """The index rows of one request (also bulk-inserted by the bench's generator)."""
    return [{"prefix": p, "request_id": request_id, "caisse_code": caisse_code, "partner_id": partner_id,
             "created_at": created_at} for p in sorted(prefixes(last_name, first_name))]


def index(session: Session, request: PartnerRequest) -> None:
    """Writes (or rewrites) the request's rows, in the caller's transaction; the request is flushed."""
    session.execute(sa.delete(RequestNameWord).where(RequestNameWord.request_id == request.id))
    found = rows(request.id, request.caisse_code, request.partner_id, request.created_at,
                 request.insured_last_name, request.insured_first_name)
    if found:
        session.execute(sa.insert(RequestNameWord), found)


def forget(session: Session, request_ids: list[int]) -> None:
    session.execute(sa.delete(RequestNameWord).where(RequestNameWord.request_id.in_(request_ids)))


def typed_words(q: str) -> list[str]:
    """The searched words, longest first (the most selective one drives the query)."""
    return sorted(dict.fromkeys(plain_words(str(q)[:80])), key=len, reverse=True)[:MAX_WORDS]


def matching(query: sa.Select, words: list[str], scope_column: str, scope_value) -> tuple[sa.Select, tuple]:
    """``query`` (a select of PartnerRequest) narrowed to the requests whose names match every word,
    and the keyset columns (created_at, request_id) to order and page it by. The first word drives:
    joined on the index, in the scope given (``caisse_code`` for an agent, ``partner_id`` for a
    partner user); the others are checked per row by the (request_id, prefix) key."""
    driver = sa.orm.aliased(RequestNameWord)
    query = query.join(driver, driver.request_id == PartnerRequest.id).where(
        driver.prefix == words[0][:MAX_PREFIX], getattr(driver, scope_column) == scope_value)
    for word in words[1:]:
        other = sa.orm.aliased(RequestNameWord)
        query = query.where(sa.exists().where(other.request_id == PartnerRequest.id,
                                              other.prefix == word[:MAX_PREFIX]))
    for word in words:
        if len(word) > MAX_PREFIX:
            query = query.where(PartnerRequest.insured_key.contains(word, autoescape=True))
    return query, (driver.created_at, driver.request_id)
