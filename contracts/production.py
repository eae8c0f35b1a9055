"""What production mode (``EP_ENV=production``) refuses to start with: the web and
every service check their own settings here before serving anything (ASVS 14.1, 2.10.4)."""
import os
from urllib.parse import urlsplit

from contracts.broker import addresses

MIN_SECRET_LENGTH = 32
# Placeholders of deploy/compose.env.example and usual stand-ins: never a real secret.
PLACEHOLDERS = ("change-me", "changeme", "secret", "example", "dev-", "test")


def is_production() -> bool:
    return os.environ.get("EP_ENV", "development").strip().lower() == "production"


def secret_problem(name: str, value: str) -> str | None:
    """Why ``value`` cannot be the secret ``name`` in production, or None."""
    if len(value) < MIN_SECRET_LENGTH:
        return f"{name} doit compter {MIN_SECRET_LENGTH} caractères au moins."
    if any(marker in value.lower() for marker in PLACEHOLDERS):
        return f"{name} est une valeur d'exemple : générez-en une (python3 -c \"import secrets; " \
               f"print(secrets.token_urlsafe(48))\")."
    if len(set(value)) < 12:
        return f"{name} est trop peu variée pour être un secret aléatoire."
    return None


def broker_problem(amqp_uri: str) -> str | None:
    """``amqp_uri``: one address or a cluster's failover list (contracts.broker.addresses): each checked."""
    if not (amqp_uri or "").strip(";").strip():
        return "AMQP_URI doit être défini."
    for address in addresses(amqp_uri):
        parts = urlsplit(address)
        if (parts.username or "guest") == "guest" or not parts.password:
            return "AMQP_URI ne doit pas utiliser le compte guest du courtier ni un compte sans mot de passe."
    return None


def refuse_unless_ready(problems: list[str | None], who: str) -> None:
    """In production, stop with every problem listed (one restart fixes them all)."""
    found = [p for p in problems if p]
    if found and is_production():
        raise RuntimeError(f"{who} : démarrage refusé en production (EP_ENV=production) :\n- " + "\n- ".join(found))
