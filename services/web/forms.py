"""WTForms with French messages. CSRF comes with FlaskForm."""
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

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
    password = PasswordField("Nouveau mot de passe", validators=[DataRequired(REQUIRED), Length(max=200)])
    confirm = PasswordField("Confirmez le nouveau mot de passe", validators=[
        DataRequired(REQUIRED), EqualTo("password", "Les deux mots de passe ne sont pas identiques.")])
