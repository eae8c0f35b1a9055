"""Links of a table's rows, built once per table: ``url_for`` costs a few microseconds a call (Flask's URL
defaults, the routing map's builder), which a history page of 25 rows paid 25 times for one route."""
from flask import url_for

# Where a row's id goes in the URL built once: digits that no route's fixed part or prefix holds.
_SLOT = 918_273_645


def row_url(endpoint: str, name: str):
    """``url_for(endpoint, **{name: id})`` as a function of an integer id, the URL built once: an integer
    is written in a URL as its digits, whatever the route's converter, so putting them in the slot gives
    url_for's own answer. ``url_for`` itself when the slot's digits are not found once."""
    built = url_for(endpoint, **{name: _SLOT})
    if built.count(str(_SLOT)) != 1:
        return lambda value: url_for(endpoint, **{name: value})
    before, _, after = built.partition(str(_SLOT))
    return lambda value: f"{before}{int(value)}{after}"


def init_app(app) -> None:
    app.jinja_env.globals["row_url"] = row_url
