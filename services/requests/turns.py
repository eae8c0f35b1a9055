"""Check-then-write rules made safe under parallel calls: the limit of support reports a person files, one open
request per person and type. The transaction first writes its scope's row (services.requests.counters), which
holds it until commit (PostgreSQL: a row lock; SQLite: the database's write lock, pysqlite opening the
transaction at that first write), then checks and writes: parallel calls of one scope each see those committed
before them, whatever the workers or instances."""
from services.requests import counters
from services.requests.models import Turn


def take(session, scope: str) -> None:
    counters.bump(session, Turn, {"scope": scope}, taken=1)
