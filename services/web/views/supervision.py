"""« Supervision » (issue 18, point 5): each service as the web sees it, for the national administrator
(every caisse) and a caisse's agents (theirs only; the services decide, services.common.supervision).

The page asks nothing itself; each service's section comes as an HTMX fragment (a link without
JavaScript), one RPC each (``supervision``, short timeout): a service that does not answer shows
« indisponible » in its own section, never a broken page. What is global (the services, their
events not yet published, their sweeps) and what is per caisse (late requests, emails waiting or
failed) is said on the page. Caisse names come from the public directory the footer pages keep."""
from flask import Blueprint, abort, render_template
from flask_login import current_user

from contracts.errors import ServiceUnavailable
from contracts.profiles import ADMIN_NATIONAL, AGENTS
from services.web import rpc
from services.web.maintenance_windows import public_directory
from services.web.toolkit import partial_or_page, profiles

bp = Blueprint("supervision", __name__)

SERVICES = {"accounts": "Comptes, habilitations et conventions", "requests": "Demandes des partenaires",
            "notifier": "Courriels"}
# A caisse the service did not list: nothing late, no email waiting nor failed (its delay unknown here).
NOTHING = {"late": 0, "late_after_days": None, "oldest_days": None, "pending": 0, "failed_24h": 0,
           "oldest_age_seconds": None}
TIMEOUT = 2          # seconds: a service slower than this is shown as not answering


@bp.route("/supervision")
@profiles(*AGENTS)
def index():
    return render_template("supervision/index.html", services=SERVICES)


@bp.route("/supervision/services/<name>")
@profiles(*AGENTS)
def service(name):
    if name not in SERVICES:
        abort(404)
    try:
        report = rpc.call(name, "supervision", timeout=TIMEOUT)
    except ServiceUnavailable:
        report = None
    names = {c["code"]: c["name"] for c in public_directory()}
    if report and current_user.profile == ADMIN_NATIONAL:
        for key in ("caisses", "emails"):
            if key in report:
                report[key] = every_caisse(report[key], names)
    return partial_or_page("supervision/_service.html", f"Supervision : {SERVICES[name]}", name=name,
                           label=SERVICES[name], report=report, caisse_names=names)


def every_caisse(rows: list[dict], names: dict) -> list[dict]:
    """The national admin's table: every caisse of the directory, those the service did not list (nothing
    late, no email waiting) with their figures at zero, in code order."""
    known = {row["caisse_code"]: row for row in rows}
    return [known.get(code) or {**NOTHING, "caisse_code": code} for code in sorted(set(known) | set(names))]
