"""« Mon compte » → « Double authentification »: enrolment of an authenticator app
(QR code and key, confirmed by a first code), the recovery codes (shown once),
disabling when the profile allows it (the caisse's setting for its partners'
gestionnaires is on « Paramètres de la caisse », views/staff.py). The accounts
service keeps the secret and decides.

The QR code is an <svg> drawn by segno into the page: no script, no style
attribute (presentation attributes only), so the strict CSP holds.
"""
import io
from functools import partial

import segno
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from services.web import rpc
from services.web.forms import CodeForm
from services.web.toolkit import report_refusal, submitted
from services.web.users import refresh

bp = Blueprint("second_factor", __name__)


def qr_svg(uri: str) -> Markup:
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", xmldecl=False, svgns=True, omitsize=True, svgclass="qr",
                                    lineclass=None, title="QR code à scanner avec votre application d'authentification")
    # Trusted markup: segno's own SVG, where the URI is drawn as modules and never written as text.
    return Markup(out.getvalue().decode())  # noqa: S704 # nosec B704


def grouped(secret: str) -> str:
    """ABCD EFGH …: easier to copy by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _page(forms: dict | None = None, codes: list[str] | None = None, status: int = 200):
    state = rpc.call("accounts", "second_factor_status")
    forms = {"confirm": CodeForm(prefix="confirm"), "renew": CodeForm(prefix="renew"),
             "disable": CodeForm(prefix="disable"),
             **(forms or {})}
    pending = state["pending"]
    return render_template("second_factor.html", state=state, forms=forms, codes=codes,
                           qr=qr_svg(pending["uri"]) if pending else None,
                           key=grouped(pending["secret"]) if pending else None,
                           required_now="second_factor" in (current_user.pending or [])), status


@bp.route("/mon-compte/double-authentification")
@login_required
def settings():
    return _page()


def _code_action(prefix: str, method: str, then):
    """The code typed in the ``prefix`` form, sent to accounts' ``method``: ``then(its answer)``,
    or the page again with what is wrong on the code's field."""
    form = CodeForm(prefix=prefix)
    # In a 1-tuple: accounts may answer None (disabling), which is not a refusal.
    answer = submitted(form, lambda: (rpc.call("accounts", method, form.code.data),),
                       lambda form, exc: report_refusal(form, exc, rest_on="code"))
    return then(answer[0]) if answer else _page({prefix: form})


@bp.route("/mon-compte/double-authentification/activer", methods=["POST"])
@login_required
def begin():
    """A new secret to scan (the CSRF token of every POST is checked by CSRFProtect)."""
    rpc.call("accounts", "begin_second_factor")
    return redirect(url_for("second_factor.settings") + "#enrolment", 303)


def _enrolled(result):
    refresh(result["summary"])
    flash("La double authentification est activée : votre code vous sera demandé à chaque connexion.", "success")
    return _page(codes=result["recovery_codes"])


def _renewed(codes):
    flash("Voici vos nouveaux codes de secours : les précédents ne fonctionnent plus.", "success")
    return _page(codes=codes)


def _disabled(_):
    flash("La double authentification est désactivée.", "success")
    return redirect(url_for("second_factor.settings"), 303)


# The forms that prove the authenticator with a code: endpoint -> (path, form prefix, accounts
# method, what follows its answer).
CODE_ACTIONS = {"confirm": ("confirmer", "confirm", "confirm_second_factor", _enrolled),
                "renew_codes": ("codes-de-secours", "renew", "renew_recovery_codes", _renewed),
                "disable": ("desactiver", "disable", "disable_second_factor", _disabled)}
for endpoint, (path, prefix, method, then) in CODE_ACTIONS.items():
    bp.add_url_rule(f"/mon-compte/double-authentification/{path}", endpoint,
                    login_required(partial(_code_action, prefix, method, then)), methods=["POST"])
