"""Browser helpers: logging in through the real form, and the per-page check
(full-page screenshot + axe-core audit) whose files land in test-output/browser/."""
import json

from playwright.sync_api import Page, expect

from devtools.stack import REPO_ROOT
from tests.helpers import LOGINS, ROLES, second_factor_code

OUTPUT = REPO_ROOT / "test-output" / "browser"
AXE_SCRIPT = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"   # from npm (package.json), never a CDN
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
BLOCKING = ("serious", "critical")


def sign_in(page: Page, email: str, password: str, profile: str | None = None) -> None:
    """Submit the login form; on the profile choice page (one address, several
    profiles) pick ``profile``. Leaves the page where the site sends the person."""
    page.goto("/connexion")
    page.get_by_label("Adresse électronique professionnelle").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
    choice = page.locator('input[name="profile"]')
    if choice.count():
        assert profile, f"{email} has several profiles: say which one"
        page.locator(f'input[name="profile"][value="{profile}"]').check()
        with page.expect_navigation():
            page.get_by_role("button", name="Continuer").click()
    code = page.get_by_label("Code à 6 chiffres de votre application")
    if code.count():                   # the second factor of the demo admin and agents: their demo secret
        code.fill(second_factor_code(profile or _only_profile(email), email))
        with page.expect_navigation():
            page.get_by_role("button", name="Valider").click()
    error = page.locator("#login-error")
    assert not error.count(), f"login refused for {email}: {error.inner_text()}"


def _only_profile(email: str) -> str:
    return next(profile for profile, address in ROLES.values() if address == email)


def login(page: Page, role: str) -> None:
    """Log in as a demo account of tests/helpers.py (ROLES) and land on the home page."""
    email, password = LOGINS[role]
    sign_in(page, email, password, profile=ROLES[role][0])
    expect(page.get_by_role("navigation", name="Menu principal")).to_be_visible()


def check_page(page: Page, name: str) -> list[dict]:
    """Screenshot the whole page to test-output/browser/<name>.png, run axe-core
    (WCAG 2.1 A/AA) and write its raw violations to test-output/browser/axe-<name>.json;
    fail on any serious or critical violation. Returns the violations."""
    page.wait_for_load_state("networkidle")          # HTMX fragments (hx-trigger="load") are in
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=OUTPUT / f"{name}.png", full_page=True)
    # The pages' Content-Security-Policy refuses inline scripts (a <script> tag would be blocked);
    # evaluation by the driver is not subject to it. The pages themselves raised no violation:
    csp = page.evaluate("window.__cspViolations || []")
    assert not csp, f"Content-Security-Policy violations on {name}: {csp}"
    page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    violations = page.evaluate("async (options) => (await axe.run(document, options)).violations", AXE_OPTIONS)
    (OUTPUT / f"axe-{name}.json").write_text(json.dumps(violations, ensure_ascii=False, indent=2) + "\n",
                                             encoding="utf-8")
    blocking = [v for v in violations if v.get("impact") in BLOCKING]
    assert not blocking, f"axe: {len(blocking)} serious/critical violation(s) on {name} ({page.url}):\n" + "\n".join(
        f"- {v['id']} [{v['impact']}] {v['help']}: "
        + ", ".join(" ".join(map(str, node["target"])) for node in v["nodes"]) for v in blocking)
    return violations
