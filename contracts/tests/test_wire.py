"""contracts.wire: orjson where it writes what the standard library writes, the caller's encoder elsewhere."""
import json
from datetime import datetime, timezone

import kombu.serialization
from hypothesis import given
from hypothesis import strategies as st

from contracts import wire

# What calls and replies carry: text-keyed objects, lists, text, 64-bit integers, finite numbers, booleans, null.
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5), max_leaves=30)


def kombu_json(value):
    return kombu.serialization.dumps(value, "json")[2]


@given(VALUES)
def test_the_values_of_calls_read_the_same_whoever_wrote_them(value):
    assert json.loads(wire.dumps(value)) == value
    assert wire.loads(json.dumps(value)) == value
    assert wire.loads(wire.dumps(value)) == value


def test_what_orjson_would_write_otherwise_is_written_by_the_fallback():
    moment = datetime(2026, 12, 2, 9, 30, tzinfo=timezone.utc)

    class Label(str):
        pass

    for value in ({"at": moment}, {"by_year": {2026: 3}}, [Label("x")], {"big": 2**70}):
        assert wire.dumps(value, kombu_json) == kombu_json(value), value
    # kombu marks a datetime so that it comes back as one: the reply keeps that.
    assert kombu.serialization.loads(wire.dumps({"at": moment}, kombu_json), "application/json", "utf-8") == {"at": moment}


def test_text_only_the_standard_library_reads_is_still_read():
    assert wire.loads('{"ratio": NaN, "n": 1}')["n"] == 1
