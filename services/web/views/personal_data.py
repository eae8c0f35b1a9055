"""An insured person's data on request (GDPR): the caisse agent finds the person's
requests in the caisse by name and birth date, downloads them (JSON), then erases
them. Everything is POSTed: the person's name never goes into a URL, hence never
into an access log or the browser history."""
import json
import re

from flask import Blueprint, Response, render_template
from htmx_flask import request

from contracts.profiles import AGENT_CAISSE
from services.web import rpc
from services.web.forms import iso_date
from services.web.toolkit import REFUSALS, PageForm, done, profiles, report_refusal

bp = Blueprint("personal_data", __name__)

FIELDS = ("last_name", "first_name", "birth_date")
CONFIRM = "confirm"


def _person() -> dict:
    person = {f: request.form.get(f, "").strip()[:200] for f in FIELDS}
    person["birth_date"] = iso_date(person["birth_date"])
    return person


def _form() -> PageForm:
    return PageForm((*FIELDS, CONFIRM))


def _page(person=None, found=None, form: PageForm | None = None, status=200):
    form = _form() if form is None else form      # a PageForm without errors is falsy
    form.values = person or {}
    return render_template("personal_data/index.html", form=form, found=found), status


@bp.route("/donnees-personnelles", methods=["GET", "POST"])
@profiles(AGENT_CAISSE)
def index():
    if request.method == "GET":
        return _page()
    person, action = _person(), request.form.get("action", "chercher")
    try:
        if action == "exporter":
            exported = rpc.call("requests", "personal_data_export", person)
            name = re.sub(r"[^A-Za-z0-9-]", "", person["last_name"])[:40] or "personne"
            return Response(json.dumps(exported, ensure_ascii=False, indent=2), mimetype="application/json",
                            headers={"Content-Disposition": f'attachment; filename="donnees-{name}.json"',
                                     "Cache-Control": "no-store"})
        if action == "effacer":
            if request.form.get(CONFIRM) != "oui":
                form = _form()
                form.errors[CONFIRM] = "Cochez la case pour confirmer l'effacement."
                return _page(person, rpc.call("requests", "personal_data_find", person), form, 400)
            erased = rpc.call("requests", "personal_data_erase", person)
            return done("/donnees-personnelles", f"{erased['erased']} demande(s) effacée(s) : "
                                                 f"{', '.join(erased['references']) or 'aucune'}.")
        return _page(person, rpc.call("requests", "personal_data_find", person))
    except REFUSALS as exc:
        form = _form()
        report_refusal(form, exc)
        return _page(person, None, form, 400)
