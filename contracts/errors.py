"""Typed errors that cross RabbitMQ.

A service raises one of these; nameko serialises it with its dotted path and
the caller gets the same class back (``deserialize_to_instance`` is nameko
2.14's registry; nameko 3 renamed it ``remote_error``). Each error carries the
French sentence the UI shows, so the message for a rule lives with the rule.
"""
import copy

from nameko.exceptions import deserialize_to_instance


class ServiceError(Exception):
    """Base of every expected business error. ``args[0]`` is the French message. What an error
    carries besides is named in ``details`` (name -> default, in the order of ``args[1]``,
    ``args[2]``…) and read as attributes (``exc.fields``, ``exc.ticket``): nameko rebuilds an
    error from its args alone, so they hold everything."""

    default_message = "La demande n'a pas pu être traitée."
    details: dict = {}

    def __init__(self, message=None, *args):
        defaults = list(self.details.values())
        values = [copy.copy(default) if value is None else value for value, default in zip(args, defaults)]
        values += [copy.copy(default) for default in defaults[len(values):]]
        super().__init__(message or self.default_message, *values, *args[len(defaults):])

    @property
    def message(self):
        return self.args[0]

    def __str__(self):
        # The sentence only, in logs and tracebacks (nameko logs every refusal): what an error carries besides
        # (a login ticket, the values typed in a form) is for the caller, not for whoever reads the logs.
        return str(self.message)

    def __repr__(self):
        return f"{type(self).__name__}({self.message!r})"

    def __getattr__(self, name):
        names = list(type(self).details)
        if name not in names:
            raise AttributeError(name)
        index = names.index(name) + 1
        return self.args[index] if len(self.args) > index else type(self).details[name]


@deserialize_to_instance
class InvalidCredentials(ServiceError):
    default_message = "Adresse électronique ou mot de passe incorrect."


@deserialize_to_instance
class AccountInactive(ServiceError):
    default_message = (
        "Ce compte est inactif. Contactez le gestionnaire de votre structure "
        "ou votre caisse."
    )


@deserialize_to_instance
class NotAuthorized(ServiceError):
    default_message = "Vous n'êtes pas autorisé à effectuer cette action."


@deserialize_to_instance
class FeatureNotOpen(NotAuthorized):
    """The partner's convention with that caisse does not open this feature (news, history, a
    request kind…); ``feature`` names it (contracts.catalogue.FEATURES)."""

    default_message = "Non ouvert à votre structure : votre convention avec cette caisse ne prévoit pas ce service."
    details = {"feature": ""}


@deserialize_to_instance
class NotAuthenticated(ServiceError):
    default_message = "Votre session a expiré. Veuillez vous reconnecter."


@deserialize_to_instance
class ValidationFailed(ServiceError):
    """Bad input. ``fields`` maps field name -> French message (may be empty)."""

    default_message = "Certaines informations sont à corriger."
    details = {"fields": {}}


@deserialize_to_instance
class AttachmentQuotaReached(ValidationFailed):
    """More files than a request or a person's day allows; ``fields["attachment"]`` says which limit."""


@deserialize_to_instance
class InvalidToken(ServiceError):
    default_message = (
        "Ce lien n'est plus valable (déjà utilisé ou expiré). "
        "Vous pouvez en demander un nouveau."
    )


@deserialize_to_instance
class NotFound(ServiceError):
    default_message = "Élément introuvable."


class ServiceUnavailable(Exception):
    """Raised by the RPC client, never by a service: no reply in time or no broker."""

    message = "Service momentanément indisponible. Réessayez dans quelques instants."

    def __init__(self, service, reason=""):
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason



@deserialize_to_instance
class ProfileChoiceRequired(ServiceError):
    """The email holds several accounts. ``choices``: [{"profile", "label"}];
    ``ticket``: a short-lived ticket proving the password was right."""

    default_message = "Cette adresse correspond à plusieurs comptes : choisissez le profil à utiliser."
    details = {"choices": [], "ticket": ""}


@deserialize_to_instance
class SecondFactorRequired(ServiceError):
    """The password was right and the account has a second factor. ``ticket``: a short-lived
    ticket proving the password, to send back with the code (``authenticate_second_factor``)."""

    default_message = "Saisissez le code à 6 chiffres affiché par votre application d'authentification."
    details = {"ticket": ""}


@deserialize_to_instance
class ReauthenticationRequired(ServiceError):
    """A sensitive action (creating, inactivating an account) wants a recent proof of identity
    (``accounts.reauthenticate``) on the caller's session."""

    default_message = ("Pour cette action, confirmez votre identité : saisissez votre mot de passe "
                       "ou un code de votre application d'authentification.")


@deserialize_to_instance
class LoginThrottled(ServiceError):
    """Too many failures: wait, or locked ``until`` (ISO, UTC)."""

    details = {"until": ""}


@deserialize_to_instance
class CapReached(ServiceError):
    default_message = "Le nombre maximal de comptes pour cette structure est atteint."


@deserialize_to_instance
class RuleViolation(ServiceError):
    """A business rule refuses the action; the message says which."""



@deserialize_to_instance
class AlreadyOpen(ServiceError):
    """One open request per type and person: ``request_id`` and ``reference`` are the open one's."""

    details = {"request_id": None, "reference": ""}


@deserialize_to_instance
class UnreadableAttachment(ValidationFailed):
    """A file of an accepted type that cannot be read usefully (encrypted or broken PDF, image too small
    or corrupt): the message says why, on the ``attachment`` field."""

    default_message = "Ce fichier ne peut pas être lu."


EXPECTED = (ServiceError,)
