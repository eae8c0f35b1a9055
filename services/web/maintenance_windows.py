"""Maintenance windows as every page sees them: the banner before and during a window, the
caisses' local referents (the footer, and the other channel on the maintenance page), and
whether a running window closes the whole of the visitor's portal (pipeline.py then
answers with the maintenance page). The notifier owns the windows; the screens that
announce them are views/maintenance.py."""
from flask import current_app, g, render_template
from flask_login import current_user

from contracts.profiles import AGENT_CAISSE
from services.web import rpc
from services.web.remembered import remembered

CONTACTS_CACHE_SECONDS = 300


def _windows_for(caisse_code: str | None) -> list[dict]:
    """One notifier call per scope every few seconds; the notifier down must not take the portal down."""
    return remembered(("maintenance", caisse_code), current_app.config["EP_MAINTENANCE_CACHE_SECONDS"],
                      lambda: rpc.call("notifier", "current_maintenance", caisse_code, who={}, timeout=1), [])


def user_caisses() -> list[str | None]:
    """The caisses whose windows concern the visitor; None stands for national windows only."""
    if not current_user.is_authenticated:
        return [None]
    if current_user.profile == AGENT_CAISSE:
        return [current_user.caisse_code]
    return [c["code"] for c in current_user.caisses or []] or [None]


def current_windows() -> list[dict]:
    if "maintenance_windows" not in g:
        seen = {}
        for code in user_caisses():
            for window in _windows_for(code):
                seen[window["id"]] = window
        g.maintenance_windows = sorted(seen.values(), key=lambda w: w["starts_at"])
    return g.maintenance_windows


def _portal_closed(windows: list[dict]) -> bool:
    """Closed when a running window is national or covers every caisse of the user."""
    running = {w["caisse_code"] for w in windows if w["ongoing"]}
    if None in running:
        return True
    caisses = {c for c in user_caisses() if c}
    return bool(caisses) and caisses <= running


def _referents(windows: list[dict]) -> list[dict]:
    codes = {c for c in user_caisses() if c} or {w["caisse_code"] for w in windows if w["caisse_code"]}
    return caisse_contacts(sorted(codes))


def caisse_contacts(codes) -> list[dict]:
    """The caisses' local referents: the footer of every page and the maintenance page."""
    found = (remembered(("contacts", code), CONTACTS_CACHE_SECONDS,
                        lambda: rpc.call("accounts", "caisse_contacts", code, who={}, timeout=1), None) for code in codes)
    return [contacts for contacts in found if contacts]


def public_directory() -> list[dict]:
    """Every caisse's name and contacts (accounts.public_directory, anonymous), kept like the contacts:
    the public pages' list of caisses, and the caisse names of the supervision screen; [] when unknown."""
    return remembered("public-directory", CONTACTS_CACHE_SECONDS,
                      lambda: rpc.call("accounts", "public_directory", who={}, timeout=1), [])


def closed_page():
    """The maintenance page while a running window covers the visitor's whole portal; else None."""
    windows = current_windows()
    if not _portal_closed(windows):
        return None
    return render_template("maintenance/closed.html", windows=[w for w in windows if w["ongoing"]],
                           contacts=_referents(windows)), 503


def init_app(app):
    app.config.setdefault("EP_MAINTENANCE_CACHE_SECONDS", 10)
    app.context_processor(lambda: {"maintenance_windows": current_windows,
                                   "support_contacts": lambda: caisse_contacts(c for c in user_caisses() if c)})
