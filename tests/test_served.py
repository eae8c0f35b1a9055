"""The web as deployed: gunicorn serving the login page with htmx from the app itself."""
import urllib.request

import pytest

pytestmark = [pytest.mark.integration]


def fetch(stack, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{stack.web_port}{path}", timeout=5) as response:
        return response.status, dict(response.headers), response.read()


def test_gunicorn_serves_login_with_local_htmx(stack):
    status, _, body = fetch(stack, "/connexion")
    page = body.decode()
    assert status == 200 and '<html lang="fr">' in page
    assert 'src="/vendor/htmx.min.js"' in page
    assert "https://" not in page                        # nothing fetched from the internet
    status, headers, script = fetch(stack, "/vendor/htmx.min.js")
    assert status == 200 and "javascript" in headers["Content-Type"]
    assert b"htmx" in script[:2000] and len(script) > 30000


def test_only_listed_vendor_files_are_served(stack):
    with pytest.raises(urllib.error.HTTPError) as exc:
        fetch(stack, "/vendor/package.json")
    assert exc.value.code == 404


def test_health_endpoint(stack):
    status, _, body = fetch(stack, "/sante")
    assert status == 200 and b'"accounts":"ok"' in body
