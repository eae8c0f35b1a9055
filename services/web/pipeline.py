"""What runs before every view, in this order (``init_app``, called by create_app):

1. session resume: the signed-out visitor or the account behind the cookie, checked with
   accounts at every request (users.py); a request form posted by a session that just expired keeps
   what was typed (drafts.py) and goes to the login page;
2. pending steps: a signed-in person with a step due (CGU, expired password, second factor
   to enrol) is sent to that step's page;
3. maintenance closure: while a running window covers the whole of the visitor's portal,
   the maintenance page (the national admin keeps access, to follow or end the operation);
4. re-authentication: a POST carrying the proof of identity is checked before the view
   replays the action (reauthentication.py).

``OPEN`` is the one table of which endpoints each guard lets through; every endpoint of the
app has its row (tests/test_web_pipeline.py walks app.url_map against it).
"""
import logging

from flask import (Flask, abort, current_app, flash, g, make_response, redirect, render_template, request, session,
                   url_for)
from flask_login import current_user

from contracts.errors import AccountInactive, InvalidCredentials, LoginThrottled, NotAuthenticated, ServiceUnavailable
from contracts.profiles import ADMIN_NATIONAL
from services.web import drafts, maintenance_windows, reauthentication, rpc, session_cache
from services.web.forms import ReauthenticationForm
from services.web.users import SESSION_KEY, User, login_manager

log = logging.getLogger(__name__)

STEPS, MAINTENANCE = "steps", "maintenance"
ALWAYS = frozenset({STEPS, MAINTENANCE})
DURING_STEPS = frozenset({STEPS})
DURING_MAINTENANCE = frozenset({MAINTENANCE})
GUARDED = frozenset()
# Files, not pages: no flash message is spent on them.
ASSETS = {"static", "vendor.asset"}

# Where each pending step is completed; nothing else is reachable until it is.
STEP_PAGES = {"cgu": "auth.cgu", "password_expired": "auth.change_password",
              "second_factor": "second_factor.settings"}

# endpoint -> the guards that let it through.
OPEN = {
    # Assets and health.
    **dict.fromkeys(ASSETS, ALWAYS), "home.health": ALWAYS, "home.alive": ALWAYS,
    "home.ready": ALWAYS,
    # Signing in (each step of it: password, profile choice, second factor's code) and out.
    "auth.login": DURING_MAINTENANCE, "auth.login_choice": DURING_MAINTENANCE,
    "auth.login_second_factor": DURING_MAINTENANCE, "auth.logout": ALWAYS,
    # What every public-service site publishes, in every page's footer: readable whatever the state.
    "legal.accessibility": ALWAYS, "legal.legal_notice": ALWAYS, "legal.personal_data": ALWAYS,
    "legal.site_map": ALWAYS,
    # The pending steps' own pages.
    "auth.cgu": DURING_STEPS, "auth.change_password": DURING_STEPS, "auth.check_password": DURING_STEPS,
    "second_factor.settings": DURING_STEPS, "second_factor.begin": DURING_STEPS,
    "second_factor.confirm": DURING_STEPS,
    # The maintenance screens, to follow or end the window.
    "maintenance.index": DURING_MAINTENANCE, "maintenance.edit": DURING_MAINTENANCE,
    "maintenance.cancel": DURING_MAINTENANCE,
    # Everything else.
    **dict.fromkeys((
        "home.index", "home.recent_requests", "home.caisse_queue",
        "auth.activation", "auth.new_password", "auth.renew_invitation", "auth.forgot_password", "auth.account",
        "auth.end_other_sessions",
        "second_factor.renew_codes", "second_factor.disable",
        "admin.caisses", "admin.new_caisse", "admin.edit_caisse",
        "partners.index", "partners.new", "partners.detail", "partners.suspend", "partners.end_convention",
        "partners.convention_features", "partners.create_gestionnaire", "partners.habilitations",
        "partners.edit_gestionnaire", "partners.account_action", "partners.request_review", "partners.export_csv",
        "partners.journal", "partners.invitations", "partners.resend_invitation", "partners.audit",
        "partners.edit_partner", "partners.edit_convention", "conventions.index", "conventions.answer",
        "habilitations.index", "habilitations.table", "habilitations.account_action",
        "habilitations.confirm_review", "habilitations.export_csv",
        "requests_ui.check_field", "requests_ui.new", "requests_ui.new_form", "requests_ui.history",
        "requests_ui.queue", "requests_ui.requests_settings", "requests_ui.detail", "requests_ui.act",
        "requests_ui.download", "requests_ui.notifications",
        "news.index", "news.subscription", "news.unsubscribe",
        "delivery.index", "delivery.resend",
        "personal_data.index", "supervision.index", "supervision.service",
        "staff.agents", "staff.edit_agent", "staff.agent_action", "staff.settings", "staff.save_rules",
        "staff.save_referents", "staff.save_data_protection",
        "account_requests.index", "account_requests.file", "account_requests.detail", "account_requests.queue",
        "account_requests.caisse_detail", "account_requests.decide", "account_requests.counts",
    ), GUARDED),
    # Support reports and the documentation (issue 15, points 3-4).
    **dict.fromkeys(("support.new", "support.mine", "support.queue", "support.show", "support.act",
                     "support.screenshot", "documentation.index", "documentation.download"), GUARDED),
    # Statistics and the caisse's exports (issue 18, points 6-7).
    **dict.fromkeys(("statistics.page", "statistics.requests_fragment", "statistics.accounts_fragment",
                     "statistics.csv", "statistics.queue_csv", "statistics.request_pdf"), GUARDED),
}


def _open_under(guard: str) -> bool:
    return guard in OPEN.get(request.endpoint, GUARDED)


@login_manager.user_loader
def load_user(user_id):
    token = session.get(SESSION_KEY)
    if not token:
        return None
    cache = current_app.extensions["session_cache"]
    # A page read may reuse a check of a few seconds ago; a change always asks (session_cache.py).
    summary = cache.lookup(token) if request.method in session_cache.READS else None
    if summary is not None:
        return User(summary) if str(summary["id"]) == user_id else None
    asked_at = cache.clock()
    try:
        summary = rpc.call("accounts", "resume_session", token, who={}, timeout=2)
    except (NotAuthenticated, AccountInactive) as exc:
        cache.forget(token)
        # Ended, not inactivated: the open form's input may still be kept (drafts.py).
        kept = drafts.kept_after_expiry(user_id) if isinstance(exc, NotAuthenticated) else {}
        session.clear()
        session.update(kept)
        if request.endpoint not in ASSETS:
            flash(exc.message, "info")
        return None
    except ServiceUnavailable:
        log.warning("accounts unavailable: session of %s not checked, request refused", user_id)
        g._login_user = login_manager.anonymous_user()     # the refusal page itself is rendered signed out
        abort(make_response(render_template(
            "error.html", title="Service momentanément indisponible", incident=True,
            message="Votre session ne peut pas être vérifiée pour l'instant. Réessayez dans quelques instants : "
                    "vous resterez connecté(e)."), 503))
    if str(summary["id"]) != user_id:
        session.clear()
        return None
    cache.store(token, summary, asked_at)
    return User(summary)


def _forget_after_a_change(_exc=None):
    """A change may be the person's own (CGU accepted, password or email changed, logged out): the next
    page asks accounts again, whatever became of the change."""
    if request.method not in session_cache.READS:
        current_app.extensions["session_cache"].forget(g.get("session_token"))


def _remember_token():
    g.session_token = session.get(SESSION_KEY)
    current_app.extensions["session_listener"].ensure_started()


def resume_session():
    """The account behind the cookie, loaded now (or the 503 page if accounts cannot say)."""
    current_user._get_current_object()


def steps_first():
    if current_user.is_authenticated and current_user.pending and not _open_under(STEPS):
        return redirect(url_for(STEP_PAGES[current_user.pending[0]]))
    return None


def close_during_maintenance():
    # No endpoint: a 404 or 405 to come, which the maintenance does not hold back.
    if request.endpoint is None or _open_under(MAINTENANCE):
        return None
    if current_user.is_authenticated and current_user.profile == ADMIN_NATIONAL:
        return None
    return maintenance_windows.closed_page()


def prove_first():
    """A POST carrying the proof of identity: checked with accounts before the view replays the action."""
    if request.method != "POST" or reauthentication.FIELD not in request.form or not current_user.is_authenticated \
            or current_user.pending:
        return None
    form = ReauthenticationForm()
    if not form.validate():
        return reauthentication.form_page(form)
    try:
        rpc.call("accounts", "reauthenticate", form.reauth_proof.data)
    except (InvalidCredentials, LoginThrottled) as exc:
        form.reauth_proof.errors = [exc.message]
        return reauthentication.form_page(form)
    return None


GUARDS = (resume_session, drafts.keep_typed_input, steps_first, close_during_maintenance, prove_first)


def init_app(app: Flask) -> None:
    """After CSRFProtect (its check runs first: a proof rides only on a checked POST)."""
    maintenance_windows.init_app(app)
    reauthentication.init_app(app)
    cache = session_cache.SessionCache(app.config["EP_SESSION_RECHECK_SECONDS"])
    app.extensions["session_cache"] = cache
    app.extensions["session_listener"] = session_cache.Listener(cache, app.config["AMQP_URI"])
    app.before_request(_remember_token)
    app.before_request(_guarded)
    app.teardown_request(_forget_after_a_change)


def _guarded():
    """The guards in order, the first answer wins. The assets pass unguarded: a file the browser fetches
    for a page costs no session check (the page had one) and holds nothing a guard protects."""
    if request.endpoint in ASSETS:
        return None
    for guard in GUARDS:
        if (answer := guard()) is not None:
            return answer
    return None
