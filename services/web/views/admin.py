"""The national admin's screens: the caisses and their local referents (the
channel partners turn to when the portal is unavailable)."""
from flask import Blueprint, abort, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import EmailField, FieldList, Form, FormField, StringField, TelField, TextAreaField

from contracts.errors import ValidationFailed
from contracts.profiles import ADMIN_NATIONAL
from services.web import rpc
from services.web.toolkit import profiles, report_refusal, saved

bp = Blueprint("admin", __name__, url_prefix="/admin")

MAX_REFERENTS = 3
REFERENT_FIELDS = ("name", "function", "phone", "email")


class ReferentForm(Form):
    name = StringField("Nom")
    function = StringField("Fonction")
    phone = TelField("Téléphone")
    email = EmailField("Adresse électronique")


class CaisseForm(FlaskForm):
    code = StringField("Code de la caisse", render_kw={"inputmode": "numeric"})
    name = StringField("Nom de la caisse")
    address = TextAreaField("Adresse", render_kw={"rows": 3})
    departments = StringField("Départements de résidence couverts (ex. 60 80)")
    referents = FieldList(FormField(ReferentForm), min_entries=MAX_REFERENTS, max_entries=MAX_REFERENTS)

    def caisse(self) -> tuple[dict, list[int]]:
        """The data for save_caisse, and which form row each referent sent came from."""
        referents, rows = [], []
        for index, entry in enumerate(self.referents.entries):
            values = {k: (entry.form[k].data or "").strip() for k in REFERENT_FIELDS}
            if any(values.values()):          # blank rows are just unused slots
                referents.append(values)
                rows.append(index)
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
    referents = list(caisse.get("referents") or [])[:MAX_REFERENTS]
    return _edit(caisse, CaisseForm(data={**caisse, "referents": referents,
                                          "departments": " ".join(caisse.get("departments") or [])}))


def _edit(caisse, form):
    data, rows = form.caisse()
    if caisse:
        data["id"] = caisse["id"]
    if answer := saved(form, lambda: rpc.call("accounts", "save_caisse", data),
                       "La caisse {code} — {name} est enregistrée.",
                       url_for("admin.caisses"), lambda form, exc: _referent_errors(form, exc, rows)):
        return answer
    return render_template("admin/caisse_form.html", form=form, caisse=caisse)


def _referent_errors(form, exc, rows: list[int]) -> None:
    """``referents.<i>`` (i: position in the list sent) goes under that referent's name."""
    fields, others = exc.fields if isinstance(exc, ValidationFailed) else {}, {}
    for key, message in fields.items():
        prefix, _, position = key.partition(".")
        if prefix == "referents" and position.isdigit() and int(position) < len(rows):
            name = form.referents.entries[rows[int(position)]].form["name"]
            name.errors = list(name.errors) + [message]
        else:
            others[key] = message
    if others or not fields:
        report_refusal(form, ValidationFailed(exc.message, others))
