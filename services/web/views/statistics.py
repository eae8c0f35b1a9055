"""Statistics of the caisse (agents) and of the nation (national administrator), and the caisse's exports
(issue 18, points 6 and 7).

The page loads two HTMX fragments, one per service (requests: filed, answered, delays, overdue; accounts:
active accounts by partner): a service that is down blanks its fragment only. Every figure is also a CSV
for a spreadsheet in French. The queue exports with the queue's own filters (POSTed like the queue's, the
person's name never in a URL), one request prints as a PDF for the archive. The services decide who sees
what; the web formats.
"""
from flask import Blueprint, render_template, request
from flask_login import login_required

from contracts.dates import datetime_fr
from contracts.errors import NotAuthorized, NotFound
from contracts.profiles import AGENT_CAISSE, AGENTS
from services.web import charts, exports, rpc, searches
from services.web.request_forms import details_for_display
from services.web.toolkit import error_page, partial_or_page, profiles
from services.web.views.requests_ui import FILTERS, _catalogue

bp = Blueprint("statistics", __name__)

PERIODS = {3: "Les 3 derniers mois", 6: "Les 6 derniers mois", 12: "Les 12 derniers mois", 24: "Les 24 derniers mois"}
DEFAULT_MONTHS = 12
CHART_PARTNERS = 12          # the accounts chart shows the largest partners; the table has them all


def _months() -> int:
    asked = request.args.get("mois", "")
    return int(asked) if asked.isdigit() and int(asked) in PERIODS else DEFAULT_MONTHS


def delay_label(hours) -> str:
    """Hours -> "5 h" under two days, "3,5 j" beyond; "—" when nothing was answered."""
    if hours is None:
        return "—"
    if hours < 48:
        return f"{hours:.0f} h"
    return f"{hours / 24:.1f} j".replace(".", ",")


def _days(hours):
    return None if hours is None else round(hours / 24, 1)


def month_label(month: str) -> str:
    year, number = month.split("-")
    return f"{number}/{year}"


@bp.route("/statistiques")
@profiles(*AGENTS)
def page():
    return render_template("statistics/page.html", months=_months(), periods=PERIODS)


def _requests_statistics(months: int) -> dict:
    found = rpc.call("requests", "request_statistics", months)
    found["group_label"] = "Caisse" if found["national"] else "Partenaire"
    for group in found["groups"]:
        group["label"] = group["name"] or (f"Caisse {group['id']}" if found["national"] else f"Partenaire n° {group['id']}")
    return found


@bp.route("/statistiques/fragments/demandes")
@profiles(*AGENTS)
def requests_fragment():
    months = _months()
    found = _requests_statistics(months)
    bars = [{"start": f"{m['month']}-01", "total": m["filed"], "by_kind": m["by_kind"]} for m in found["by_month"]]
    chart = charts.stacked_weeks(bars, "by_kind", found["kinds"], label=charts.month_label)
    return partial_or_page("statistics/_requests.html", "Statistiques des demandes", stats=found, chart=chart,
                           months=months, delay_label=delay_label, month_label=month_label)


@bp.route("/statistiques/fragments/comptes")
@profiles(*AGENTS)
def accounts_fragment():
    found = rpc.call("accounts", "active_accounts_by_partner")
    largest = sorted(found["partners"], key=lambda p: -p["total"])[:CHART_PARTNERS]
    labels = {"gestionnaires": "Gestionnaires", "techniciens": "Techniciens"}
    bars = [{"start": p["name"], "total": p["total"],
             "counts": {key: p[key] for key in labels}} for p in largest]
    chart = charts.stacked_weeks(bars, "counts", labels, label=charts.short_label)
    return partial_or_page("statistics/_accounts.html", "Comptes actifs par partenaire", accounts=found, chart=chart)


# --- CSV ---------------------------------------------------------------------------------------------

def _requests_csv(table: str, months: int):
    found = _requests_statistics(months)
    delays = ["Médiane du délai de réponse (jours)", "90e centile du délai de réponse (jours)"]
    if table == "mois":
        kinds = found["kinds"]
        return (["Mois", "Déposées", "Répondues", *delays, *(f"Déposées : {label}" for label in kinds.values())],
                [[month_label(m["month"]), m["filed"], m["answered"], _days(m["median_hours"]), _days(m["p90_hours"]),
                  *(m["by_kind"][k] for k in kinds)] for m in found["by_month"]])
    if table == "types":
        return (["Type", "Déposées", "Répondues", *delays],
                [[k["label"], k["filed"], k["answered"], _days(k["median_hours"]), _days(k["p90_hours"])]
                 for k in found["by_kind"]])
    return ([found["group_label"], "Déposées", "Répondues", "En retard aujourd'hui"],
            [[g["label"], g["filed"], g["answered"], g["overdue"]] for g in found["groups"]])


CSV_TABLES = {"mois": "demandes-par-mois", "types": "demandes-par-type", "repartition": "demandes-par-structure",
              "comptes": "comptes-actifs-par-partenaire"}


@bp.route("/statistiques/<table>.csv")
@profiles(*AGENTS)
def csv(table):
    if table not in CSV_TABLES:
        return error_page(404, "Ce tableau n'existe pas.")
    months = _months()
    if table == "comptes":
        found = rpc.call("accounts", "active_accounts_by_partner")
        header, rows = (["Partenaire", "Gestionnaires actifs", "Techniciens actifs", "Total"],
                        [[p["name"], p["gestionnaires"], p["techniciens"], p["total"]] for p in found["partners"]])
        filename = f"{CSV_TABLES[table]}-{exports.today_stamp()}.csv"
    else:
        header, rows = _requests_csv(table, months)
        filename = f"{CSV_TABLES[table]}-{months}-mois-{exports.today_stamp()}.csv"
    return exports.csv_download(filename, header, rows)


# --- the caisse's exports ----------------------------------------------------------------------------

QUEUE_COLUMNS = ["Référence", "Type", "Statut", "Personne", "Déposée le", "Dernière modification", "Déposée par",
                 "Caisse", "En retard"]


@bp.route("/file/export.csv", methods=["GET", "POST"])
@profiles(AGENT_CAISSE)
def queue_csv():
    """The queue's filters as its form sends them (POST; the same default « en cours »), computed by the
    service with the queue's scope; the newest ``limit`` requests at most (the response says when cut)."""
    given, _cursor = searches.terms(FILTERS, private=("q",))
    found = rpc.call("requests", "export_queue", {"status": "open", **given})
    rows = [[r["reference"], r["kind_label"], r["status_label"], r["insured_name"], datetime_fr(r["created_at"]),
             datetime_fr(r["updated_at"]), r["created_by_name"], r["caisse_code"], r["late"]] for r in found["rows"]]
    response = exports.csv_download(f"file-des-demandes-{exports.today_stamp()}.csv", QUEUE_COLUMNS, rows)
    response.headers["X-Export-Truncated"] = "oui" if found["truncated"] else "non"
    return response


@bp.route("/demandes/<int:request_id>/archive.pdf")
@login_required
def request_pdf(request_id):
    """For the caisse's archive: the service lets the caisse's agents and the national administrator
    through; anyone else finds nothing there."""
    try:
        found = rpc.call("requests", "request_archive", request_id)
    except (NotAuthorized, NotFound):
        return error_page(404, "Demande introuvable.")
    catalogue = _catalogue()
    pdf = exports.request_pdf(found, details_for_display(catalogue, found["kind"], found["details"]),
                              catalogue["departments"])
    return exports.download(pdf, "application/pdf", f"demande-{found['reference']}.pdf")

