"""The templates' URLs built fewer times (services/web/urls.py) are Flask's own, under any script root."""
from flask import url_for as flask_url_for

from services.web import urls

ROOTS = ("", "/portail", "/autre/racine")


def test_urls_without_arguments_are_flasks_under_each_script_root(app):
    endpoints = [rule.endpoint for rule in app.url_map.iter_rules() if not rule.arguments]
    for _ in range(2):                                  # the second pass reads what the first one kept
        for root in ROOTS:
            with app.test_request_context("/", base_url=f"http://localhost{root}/"):
                for endpoint in endpoints:
                    assert urls.url_for(endpoint) == flask_url_for(endpoint)
                    assert urls.url_for(endpoint).startswith(root + "/")
                assert urls.url_for("static", filename="app.css") == flask_url_for("static", filename="app.css")


def test_row_links_are_flasks_under_each_script_root(app):
    for root in ROOTS:
        with app.test_request_context("/", base_url=f"http://localhost{root}/"):
            for endpoint, name in (("requests_ui.detail", "request_id"), ("partners.detail", "partner_id"),
                                   ("support.show", "report_id")):
                link = urls.row_url(endpoint, name)
                for value in (1, 42, 918_273_645, 10**12):
                    assert link(value) == flask_url_for(endpoint, **{name: value})
