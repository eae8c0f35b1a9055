"""Browser fixtures: Debian's Chromium (/usr/bin/chromium, installed by `make test`
through scripts/ensure-system.sh) driven by Playwright's sync API against the
session's running stack (tests/conftest.py). Playwright never downloads a browser
here: `playwright install` is not used.

This session is plain pytest (no eventlet monkey patch): Playwright's sync API
runs its own event loop on greenlets and must not run under eventlet's hub."""
import shutil
import sys

import pytest

from tests.browser.helpers import OUTPUT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    patcher = sys.modules.get("eventlet.patcher")
    if patcher is not None and patcher.is_monkey_patched("socket"):
        pytest.fail("the browser tests run in the plain pytest session (tests/), not under eventlet")
    from playwright.sync_api import sync_playwright

    shutil.rmtree(OUTPUT, ignore_errors=True)        # test-output/browser/ holds this run's pages only
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, stack):
    """Factory: a page in a fresh context (its own cookies, as another person's browser)
    whose relative URLs go to the stack's web."""
    contexts = []

    def open_page():
        context = browser.new_context(base_url=stack.env["EP_BASE_URL"], locale="fr-FR",
                                      viewport={"width": 1280, "height": 800})
        context.set_default_timeout(15_000)
        # Every violation of the pages' Content-Security-Policy, for check_page to report.
        context.add_init_script("document.addEventListener('securitypolicyviolation', e => "
                                "(window.__cspViolations = window.__cspViolations || [])"
                                ".push(e.violatedDirective + ' ' + e.blockedURI));")
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A page in a new browser context for this test."""
    return new_page()
