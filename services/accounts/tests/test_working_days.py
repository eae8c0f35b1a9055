"""The caisse's 5 working days, across the whole of 2027: weekends and every French public holiday."""
from datetime import date, timedelta

from services.accounts.working_days import add_working_days, is_working_day

HOLIDAYS_2027 = {
    date(2027, 1, 1): "Jour de l'an", date(2027, 3, 29): "Lundi de Pâques", date(2027, 5, 1): "Fête du travail",
    date(2027, 5, 6): "Ascension", date(2027, 5, 8): "Victoire 1945", date(2027, 5, 17): "Lundi de Pentecôte",
    date(2027, 7, 14): "Fête nationale", date(2027, 8, 15): "Assomption", date(2027, 11, 1): "Toussaint",
    date(2027, 11, 11): "Armistice", date(2027, 12, 25): "Noël"}


def test_every_day_of_2027():
    day, working = date(2027, 1, 1), 0
    while day.year == 2027:
        expected = day.weekday() < 5 and day not in HOLIDAYS_2027
        assert is_working_day(day) is expected, day
        working += expected
        day += timedelta(days=1)
    # 261 weekdays in 2027, of which 7 holidays fall on a weekday (1 May, 8 May, 15 Aug, 25 Dec are weekend days)
    assert working == 261 - 7


def test_five_working_days_by_counting_every_start_of_2027():
    """Against a plain count: each start day of the year, the 5th working day after it."""
    day = date(2027, 1, 1)
    while day.year == 2027:
        due, seen, cursor = add_working_days(day, 5), 0, day
        while seen < 5:
            cursor += timedelta(days=1)
            seen += cursor.weekday() < 5 and cursor not in HOLIDAYS_2027
        assert due == cursor, day
        day += timedelta(days=1)


def test_named_cases():
    assert add_working_days(date(2027, 3, 26), 5) == date(2027, 4, 5)     # Friday before Easter Monday
    assert add_working_days(date(2027, 5, 5), 5) == date(2027, 5, 13)     # the day before Ascension
    assert add_working_days(date(2027, 5, 14), 5) == date(2027, 5, 24)    # Friday before Whit Monday
    assert add_working_days(date(2027, 7, 9), 5) == date(2027, 7, 19)     # a week with 14 July (Wednesday)
    assert add_working_days(date(2027, 12, 24), 5) == date(2027, 12, 31)  # Christmas on a Saturday
    assert add_working_days(date(2026, 12, 31), 5) == date(2027, 1, 8)    # across the new year (1 Jan a Friday)
    assert add_working_days(date(2027, 10, 29), 5) == date(2027, 11, 8)   # Friday before All Saints (Monday)
    assert add_working_days(date(2027, 11, 6), 5) == date(2027, 11, 15)   # a Saturday, then 11 November
