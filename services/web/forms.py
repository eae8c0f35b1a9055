"""WTForms with French messages. CSRF comes with FlaskForm."""
import re

from flask_wtf import FlaskForm
from wtforms import (BooleanField, EmailField, Form, HiddenField, PasswordField, RadioField, SelectField, StringField,
                     TelField)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from contracts.civilities import CIVILITIES
from contracts.errors import ValidationFailed
from services.web.toolkit import report_refusal

REQUIRED = "Ce champ est obligatoire."
# Shape only (local@domain.tld); whether the address is allowed is the accounts service's rule.
EMAIL_SHAPE = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Adresse électronique invalide (exemple : prenom.nom@structure.fr).")


class LoginForm(FlaskForm):
    email = EmailField("Adresse électronique professionnelle",
                       validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField("Mot de passe", validators=[DataRequired(REQUIRED), Length(max=200)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Adresse électronique professionnelle",
                       validators=[DataRequired(REQUIRED), EMAIL_SHAPE, Length(max=254)])


class NewPasswordForm(FlaskForm):
    password = PasswordField("Nouveau mot de passe", validators=[DataRequired(REQUIRED), Length(max=128, message="128 caractères au maximum.")])
    confirm = PasswordField("Confirmez le nouveau mot de passe", validators=[
        DataRequired(REQUIRED), EqualTo("password", "Les deux mots de passe ne sont pas identiques.")])


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField("Mot de passe actuel", validators=[DataRequired(REQUIRED), Length(max=200)])


class EndOtherSessionsForm(FlaskForm):
    """No field: the button and its CSRF token."""


class CguForm(FlaskForm):
    accept = BooleanField("J'ai lu et j'accepte les conditions générales d'utilisation",
                          validators=[DataRequired("Cochez la case pour accepter les conditions générales.")])


class ProfileChoiceForm(FlaskForm):
    ticket = HiddenField()
    profile = RadioField("Profil à utiliser", validators=[DataRequired("Choisissez un profil.")])


CODE = "Code à 6 chiffres de votre application"
SIX_DIGITS = Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message="Le code compte 6 chiffres.")


class SecondFactorLoginForm(FlaskForm):
    """Last step of the login: the app's code, or one of the recovery codes."""
    ticket = HiddenField()
    code = StringField(CODE, validators=[Optional(), SIX_DIGITS])
    recovery_code = StringField("Code de secours", validators=[Optional(), Length(max=20)])

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        if not (self.code.data or "").strip() and not (self.recovery_code.data or "").strip():
            self.code.errors = list(self.code.errors) + ["Saisissez le code affiché par votre application."]
            return False
        return True


class CodeForm(FlaskForm):
    """A code that proves the authenticator (enrolment, disabling, new recovery codes)."""
    code = StringField(CODE, validators=[DataRequired(REQUIRED), Length(max=20)])


class ReauthenticationForm(FlaskForm):
    """Before creating or inactivating an account; the fields of the action ride along, hidden."""
    reauth_proof = PasswordField("Mot de passe, ou code à 6 chiffres de votre application",
                                 validators=[DataRequired(REQUIRED), Length(max=200)])


def iso_date(text: str) -> str:
    """Browsers without a date picker send what was typed: accept jj/mm/aaaa too."""
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text.strip())
    return f"{match[3]}-{int(match[2]):02d}-{int(match[1]):02d}" if match else text.strip()


PERSON_FIELDS = ("civility", "last_name", "first_name", "function", "phone", "email")


class ReferentForm(Form):
    """One local referent of a caisse: a person, or a shared mailbox (services.accounts.caisse_settings)."""
    kind = SelectField("Type", choices=[("person", "Personne"), ("mailbox", "Boîte aux lettres partagée")],
                       validate_choice=False)
    name = StringField("Nom (ou nom de la boîte)")
    function = StringField("Fonction (facultatif pour une boîte partagée)")
    phones = StringField("Téléphones (séparés par des virgules)", render_kw={"inputmode": "tel"})
    email = EmailField("Adresse électronique")

    def referent(self) -> dict:
        return {name: (self[name].data or "").strip() for name in REFERENT_FIELDS}


REFERENT_FIELDS = ("kind", "name", "function", "phones", "email")


def referents_data(referents, spare: int) -> list[dict]:
    """The referents as the form shows them (phones in one text) and ``spare`` blank rows to add more."""
    rows = [{**r, "phones": ", ".join(r.get("phones") or [])} for r in referents or []]
    return rows + [{"kind": "person"}] * spare


def referents_sent(entries) -> tuple[list[dict], list[int]]:
    """The referents typed (blank rows are unused slots), and which form row each came from."""
    sent, rows = [], []
    for index, entry in enumerate(entries):
        values = entry.form.referent()
        if any(v for k, v in values.items() if k != "kind"):
            sent.append(values)
            rows.append(index)
    return sent, rows


def referent_errors(form, exc, rows: list[int]) -> None:
    """``referents.<i>`` (i: position in the list sent) goes under that referent's name; the rest above."""
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


class PersonForm(FlaskForm):
    """A gestionnaire or a technicien. The accounts service validates (French messages per field)."""
    civility = SelectField("Civilité", choices=[("", "Choisissez…")] + [(c, c) for c in CIVILITIES],
                           validate_choice=False)
    last_name = StringField("Nom")
    first_name = StringField("Prénom")
    function = StringField("Fonction")
    phone = TelField("Téléphone professionnel")
    email = EmailField("Adresse électronique professionnelle")

    def person(self) -> dict:
        return {name: (getattr(self, name).data or "").strip() for name in PERSON_FIELDS}
