"""Working days in France: the caisse processes a habilitation request within 5 working days
(the agreements). Saturdays, Sundays and the French public holidays (metropolitan list of the
``holidays`` library: Easter Monday, Ascension, Whit Monday… computed each year) are not working days."""
from datetime import date, timedelta
from functools import lru_cache

import holidays

HABILITATION_DELAY = 5


@lru_cache(maxsize=16)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.France(years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(start: date, count: int) -> date:
    """The ``count``-th working day after ``start`` (``start`` itself never counts)."""
    day = start
    while count > 0:
        day += timedelta(days=1)
        count -= is_working_day(day)
    return day
