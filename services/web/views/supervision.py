"""« Supervision » (issue 18, point 5): each service as the web sees it, for the national administrator
(every caisse) and a caisse's agents (theirs only; the services decide, services.common.supervision).

The page asks nothing itself; each service's section comes as an HTMX fragment (a link without
JavaScript), one RPC each (``supervision``, short timeout): a service that does not answer shows
« indisponible » in its own section, never a broken page. What is global (the services, their
events not yet published, their sweeps) and what is per caisse (late requests, emails waiting or
failed) is said on the page. Caisse names come from the public directory the footer pages keep."""
from flask import Blueprint, abort, render_template

from contracts.errors import ServiceUnavailable
from contracts.profiles import AGENTS
from services.web import rpc
from services.web.maintenance_windows import public_directory
from services.web.toolkit import partial_or_page, profiles

bp = Blueprint("supervision", __name__)

SERVICES = {"accounts": "Comptes, habilitations et conventions", "requests": "Demandes des partenaires",
            "notifier": "Courriels"}
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
    return partial_or_page("supervision/_service.html", f"Supervision : {SERVICES[name]}", name=name,
                           label=SERVICES[name], report=report, caisse_names=names)
