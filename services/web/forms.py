"""WTForms with French messages. CSRF comes with FlaskForm."""
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length

REQUIRED = "Ce champ est obligatoire."


class LoginForm(FlaskForm):
    email = EmailField("Adresse électronique professionnelle",
                       validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField("Mot de passe", validators=[DataRequired(REQUIRED), Length(max=200)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Adresse électronique professionnelle",
                       validators=[DataRequired(REQUIRED), Email("Adresse électronique invalide."), Length(max=254)])


class NewPasswordForm(FlaskForm):
    password = PasswordField("Nouveau mot de passe", validators=[DataRequired(REQUIRED), Length(max=200)])
    confirm = PasswordField("Confirmez le nouveau mot de passe", validators=[
        DataRequired(REQUIRED), EqualTo("password", "Les deux mots de passe ne sont pas identiques.")])
