"""`make run`: the whole system on this machine, with demo data.

Embedded defaults (SQLite files in var/data, the local RabbitMQ); every
setting can be overridden from the environment. Ctrl-C stops everything.
"""
import os
import secrets
import signal
import subprocess
import sys
import time

from contracts import broker
from devtools.stack import REPO_ROOT, Stack

SECRETS_FILE = REPO_ROOT / "var" / "dev-secrets.env"
# /metrics of each process, on the loopback (README « Surveillance ») : what deploy/prometheus scrapes in Compose.
METRICS_PORTS = {"web": 9100, "accounts": 9101, "requests": 9102, "notifier": 9103}


def dev_secrets() -> dict:
    """Random secrets generated once per checkout (kept in var/, never committed)."""
    SECRETS_FILE.parent.mkdir(parents=True, exist_ok=True)
    if not SECRETS_FILE.exists():
        SECRETS_FILE.write_text(f"EP_RPC_SECRET={secrets.token_urlsafe(48)}\nEP_SECRET_KEY={secrets.token_urlsafe(48)}\n")
        SECRETS_FILE.chmod(0o600)
    values = dict(line.split("=", 1) for line in SECRETS_FILE.read_text().split())
    return {k: os.environ.get(k) or v for k, v in values.items()}


def demo_logins() -> str:
    from services.accounts.seed import DEMO_ACCOUNTS, DEMO_TOTP_SECRETS
    from contracts.profiles import PROFILE_LABELS

    lines = [f"  {PROFILE_LABELS[p]:<26} {email:<40} {password}" for p, email, password, *_ in DEMO_ACCOUNTS]
    lines.append("  (double@relais-fictif.test : une même adresse, deux comptes ; la connexion demande le profil)")
    lines.append("  Double authentification (démonstration seulement) : code de l'administrateur ou d'un agent avec")
    lines.extend(f"    .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{secret}').now())\"   # {email}"
                 for (_profile, email), secret in DEMO_TOTP_SECRETS.items())
    return "\n".join(lines)


def metrics_urls() -> str:
    return ", ".join(f"{name} http://127.0.0.1:{port}/metrics" for name, port in METRICS_PORTS.items())


def _interrupt(*_):
    raise KeyboardInterrupt


def main():
    env = {
        **dev_secrets(),
        "AMQP_URI": broker.amqp_uri(),
        "EP_BASE_URL": os.environ.get("EP_BASE_URL", "http://127.0.0.1:8000"),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": "1025",
        "EP_MAILCATCHER_URL": "http://127.0.0.1:8025",
    }
    os.environ.update(env)
    for service in ("accounts", "requests"):
        subprocess.run([sys.executable, "-m", f"services.{service}.seed"], cwd=REPO_ROOT, check=True,
                       env={**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"})
    stack = Stack(env, REPO_ROOT / "var" / "log", metrics_ports=METRICS_PORTS)
    # Ctrl-C and SIGTERM both stop everything, even when started with SIGINT ignored (background job).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        stack.start()
        probes = ", ".join(f"{name} http://127.0.0.1:{port}/pret" for name, port in stack.health_ports.items())
        print(f"""
Espace Partenaires est prêt : http://127.0.0.1:8000
Courriels capturés (développement) : http://127.0.0.1:8025
Journaux : var/log/
Sondes (vie /vivant, disponibilité /pret) : {probes}, web http://127.0.0.1:8000/sante/pret
Métriques Prometheus : {metrics_urls()}

Comptes de démonstration :
{demo_logins()}

Ctrl-C pour tout arrêter.""", flush=True)
        while all(p.poll() is None for p in stack.processes.values()):
            time.sleep(0.5)
        dead = [n for n, p in stack.processes.items() if p.poll() is not None]
        print(f"Arrêt : {', '.join(dead)} s'est arrêté ; voir var/log/.", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("\nArrêt en cours…", flush=True)
    finally:
        # A second Ctrl-C must not cut the clean-up short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
        print("Tout est arrêté.", flush=True)


if __name__ == "__main__":
    main()
