"""The templates' URLs, built fewer times: ``url_for`` costs a few microseconds a call (Flask's URL defaults,
the routing map's builder), and every page asks for the same twenty or so (menus, footer, forms' actions),
a list page once more per row."""
from flask import current_app, request
from flask import url_for as flask_url_for

# Where a row's id goes in the URL built once: digits that no route's fixed part or prefix holds.
_SLOT = 918_273_645
_without_arguments: dict = {}      # (script root, endpoint) -> URL


def url_for(endpoint: str, **values) -> str:
    """The templates' ``url_for``: Flask's, except that an endpoint's URL without arguments is built once per
    script root (the URL of a request is its script root and the rule's path: nothing else of the request
    enters it). Flask's own when a view's URL defaults could add arguments."""
    if values or endpoint[:1] == "." or current_app.url_default_functions:
        return flask_url_for(endpoint, **values)
    key = (request.root_path, endpoint)
    url = _without_arguments.get(key)
    if url is None:
        url = _without_arguments[key] = flask_url_for(endpoint)
    return url


def row_url(endpoint: str, name: str):
    """``url_for(endpoint, **{name: id})`` as a function of an integer id, the URL built once: an integer
    is written in a URL as its digits, whatever the route's converter, so putting them in the slot gives
    url_for's own answer. ``url_for`` itself when the slot's digits are not found once."""
    built = flask_url_for(endpoint, **{name: _SLOT})
    if built.count(str(_SLOT)) != 1:
        return lambda value: flask_url_for(endpoint, **{name: value})
    before, _, after = built.partition(str(_SLOT))
    return lambda value: f"{before}{int(value)}{after}"


def init_app(app) -> None:
    app.jinja_env.globals.update(url_for=url_for, row_url=row_url)
