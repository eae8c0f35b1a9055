"""The national admin's screens: the caisses and their local referents (the
channel partners turn to when the portal is unavailable)."""
from flask import Blueprint, abort, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import FieldList, FormField, StringField, TextAreaField

from contracts.profiles import ADMIN_NATIONAL
from services.web import rpc
from services.web.forms import ReferentForm, referent_errors, referents_data, referents_sent
from services.web.toolkit import profiles, saved

bp = Blueprint("admin", __name__, url_prefix="/admin")

SPARE_REFERENTS = 2          # blank rows to add referents (any number: save, and two more appear)


class CaisseForm(FlaskForm):
    code = StringField("Code de la caisse", render_kw={"inputmode": "numeric"})
    name = StringField("Nom de la caisse")
    address = TextAreaField("Adresse", render_kw={"rows": 3})
    departments = StringField("Départements de résidence couverts (ex. 60 80)")
    referents = FieldList(FormField(ReferentForm), min_entries=SPARE_REFERENTS)

    def caisse(self) -> tuple[dict, list[int]]:
        """The data for save_caisse, and which form row each referent sent came from."""
        referents, rows = referents_sent(self.referents.entries)
        return {"code": (self.code.data or "").strip(), "name": (self.name.data or "").strip(),
                "address": (self.address.data or "").strip(), "departments": self.departments.data or "",
                "referents": referents}, rows


@bp.route("/caisses")
@profiles(ADMIN_NATIONAL)
def caisses():
    return render_template("admin/caisses.html", caisses=rpc.call("accounts", "list_caisses"))


@bp.route("/caisses/nouvelle", methods=["GET", "POST"])
@profiles(ADMIN_NATIONAL)
def new_caisse():
    return _edit(None, CaisseForm())


@bp.route("/caisses/<int:caisse_id>", methods=["GET", "POST"])
@profiles(ADMIN_NATIONAL)
def edit_caisse(caisse_id):
    caisse = next((c for c in rpc.call("accounts", "list_caisses") if c["id"] == caisse_id), None)
    if caisse is None:
        abort(404)
    return _edit(caisse, CaisseForm(data={**caisse, "referents": referents_data(caisse.get("referents"), SPARE_REFERENTS),
                                          "departments": " ".join(caisse.get("departments") or [])}))


def _edit(caisse, form):
    data, rows = form.caisse()
    if caisse:
        data["id"] = caisse["id"]
    if answer := saved(form, lambda: rpc.call("accounts", "save_caisse", data),
                       "La caisse {code} — {name} est enregistrée.",
                       url_for("admin.caisses"), lambda form, exc: referent_errors(form, exc, rows)):
        return answer
    return render_template("admin/caisse_form.html", form=form, caisse=caisse)
