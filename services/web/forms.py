"""WTForms with French messages. CSRF comes with FlaskForm."""
import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, RadioField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from contracts.civilities import CIVILITIES

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


class PartnersSecondFactorForm(FlaskForm):
    required = BooleanField("Exiger la double authentification des gestionnaires de nos partenaires")


class ReauthenticationForm(FlaskForm):
    """Before creating or inactivating an account; the fields of the action ride along, hidden."""
    reauth_proof = PasswordField("Mot de passe, ou code à 6 chiffres de votre application",
                                 validators=[DataRequired(REQUIRED), Length(max=200)])


def iso_date(text: str) -> str:
    """Browsers without a date picker send what was typed: accept jj/mm/aaaa too."""
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text.strip())
    return f"{match[3]}-{int(match[2]):02d}-{int(match[1]):02d}" if match else text.strip()


PERSON_FIELDS = ("civility", "last_name", "first_name", "function", "phone", "email")


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
