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


def page(session: Session, query: sa.Select, values: dict, words: list[str], scope_column: str, scope_value, after,
         count: int) -> list[sa.Row]:
    """Up to ``count`` rows of ``query`` (a select of PartnerRequest's columns, ``id`` among them, every other
    filter and the caller's scope in it, run with its bound ``values``) whose names match every word, newest
    first, after the keyset ``after``.

    Two steps rather than one join, so that no planner's estimate can turn it into a scan of the
    caller's whole history (PostgreSQL misjudges the partner's correlated scope conditions and did):
    the first word's index range, in the scope key, gives candidate ids in page order, a batch at a
    time; the requests among them that pass ``query`` and the other words are kept, until the page is
    full or the range is exhausted."""
    word = sa.orm.aliased(RequestNameWord)
    candidates = sa.select(word.request_id, word.created_at).where(
        word.prefix == words[0][:MAX_PREFIX], getattr(word, scope_column) == scope_value) \
        .order_by(word.created_at.desc(), word.request_id.desc())
    query = _other_words(query, words)
    if session.get_bind().dialect.name == "sqlite":
        # SQLite's planner keeps the join in the name index's order (and, in two steps, would look the
        # candidates up through the partner's index, its statistics being averages): one query there.
        joined = query.join(word, word.request_id == PartnerRequest.id).where(*candidates.whereclause.clauses)
        if after:
            joined = joined.where(sa.tuple_(word.created_at, word.request_id) < after)
        return session.connection().execute(joined.order_by(word.created_at.desc(), word.request_id.desc())
                                            .limit(count), values).all()
    found, batch = [], count
    while len(found) < count:
        ids = session.execute((candidates.where(sa.tuple_(word.created_at, word.request_id) < after)
                               if after else candidates).limit(batch)).all()
        if not ids:
            break
        kept = {r.id: r for r in session.connection().execute(query.where(PartnerRequest.id.in_([i for i, _ in ids])),
                                                               values)}
        found += [kept[i] for i, _ in ids if i in kept]
        if len(ids) < batch:
            break
        after, batch = (ids[-1].created_at, ids[-1].request_id), min(batch * 4, 1000)       # a filter left few: read further, faster
    return found[:count]


def _other_words(query: sa.Select, words: list[str]) -> sa.Select:
    """The words after the first, each a prefix of some word of the names (the (request_id, prefix) key);
    a word longer than the index keeps is checked in full on the normalised names."""
    for word in words[1:]:
        other = sa.orm.aliased(RequestNameWord)
        query = query.where(sa.exists().where(other.request_id == PartnerRequest.id,
                                              other.prefix == word[:MAX_PREFIX]))
    for word in words:
        if len(word) > MAX_PREFIX:
            query = query.where(PartnerRequest.insured_key.contains(word, autoescape=True))
    return query
