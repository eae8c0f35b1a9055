"""The one rule of the ids and cursors a caller sends (services.common.ids): a whole number the databases'
keys hold, or nothing."""
import logging

import pytest

from contracts.errors import ValidationFailed
from services.common import ids

HUGE = 99999999999999999999999
# What the services' tests send where an id is expected (services/*/tests/test_unknown_ids.py).
NAMING_NOTHING = [HUGE, -HUGE, str(HUGE), 0, "abc", [1], 1.5]


@pytest.fixture
def quiet(caplog):
    """The test logs nothing at ERROR (an error of ours: a traceback in the service's log)."""
    caplog.set_level(logging.WARNING)
    yield
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


@pytest.mark.parametrize("raw, expected", [
    (1, 1), ("42", 42), (2**63 - 1, 2**63 - 1), (2**63, None), (HUGE, None), (str(HUGE), None), (-HUGE, None),
    (0, None), (-1, None), ("abc", None), ("", None), ("9" * 5000, None), (1.0, None), (True, None), ([1], None),
    (None, None), ({"id": 1}, None)])
def test_a_row_id_is_a_whole_number_the_keys_hold(raw, expected):
    assert ids.row_id(raw) == expected


def test_a_cursor_is_absent_or_names_a_row():
    assert ids.cursor(None) is None and ids.cursor("") is None and ids.cursor("17") == 17
    for bad in (HUGE, -HUGE, "abc", [1]):
        with pytest.raises(ValidationFailed) as refused:
            ids.cursor(bad)
        assert refused.value.fields == {"cursor": "Page demandée invalide."}
