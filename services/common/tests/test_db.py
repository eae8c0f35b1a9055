"""Under eventlet (as `nameko run` and `nameko test` run), psycopg2 waits on
the hub instead of blocking it."""
import eventlet.patcher
import psycopg2.extensions

from services.common.db import make_engine


def test_postgres_engine_makes_psycopg2_cooperative():
    assert eventlet.patcher.is_monkey_patched("socket")
    psycopg2.extensions.set_wait_callback(None)
    engine = make_engine("postgresql+psycopg2://nobody@127.0.0.1:1/none")   # no connection is opened
    callback = psycopg2.extensions.get_wait_callback()
    assert callback is not None and callback.__module__ == "psycogreen.eventlet"
    engine.dispose()
