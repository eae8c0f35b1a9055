"""`make test`: every test, on SQLite first, then the database-touching tests
again on PostgreSQL when a server is reachable (TEST_POSTGRES=0 skips that
pass on purpose). Prints which passes ran.

Two pytest sessions per pass: the service tests run under eventlet's monkey
patch (`nameko test`, as the services run), the cross-service and web tests
in a plain interpreter (as gunicorn and the browser tests run).
"""
import os
import socket
import subprocess
import sys
from pathlib import Path

from devtools.stack import REPO_ROOT

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
BIN = Path(sys.executable).parent


def _postgres_reachable() -> bool:
    import sqlalchemy as sa

    url = sa.engine.make_url(PG_URL)
    try:
        socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=2).close()
        sa.create_engine(url).connect().close()
        return True
    except Exception as exc:   # any failure means "not reachable": reported, not hidden
        print(f"[test] PostgreSQL injoignable ({PG_URL}) : {exc.__class__.__name__}")
        return False


def _run(label: str, args: list[str], env: dict) -> bool:
    print(f"\n[test] === {label} ===", flush=True)
    return subprocess.run(args, cwd=REPO_ROOT, env={**os.environ, **env}).returncode == 0


def _pass(name: str, env: dict, extra: list[str]) -> list[tuple[str, bool]]:
    common = ["-p", "no:cacheprovider", *extra]
    return [
        (f"{name} : services (nameko test)",
         _run(f"{name} : services", [str(BIN / "nameko"), "test", "services", "contracts", *common], env)),
        (f"{name} : système et web",
         _run(f"{name} : système et web", [sys.executable, "-m", "pytest", "tests", *common], env)),
    ]


def main() -> int:
    results = [("architecture (import-linter)", _run("architecture", [str(BIN / "lint-imports")], {})),
               # Zero findings allowed; each silenced one is explained in pyproject.toml or on its line.
               ("sécurité (ruff, règles S)", _run("sécurité : ruff", [str(BIN / "ruff"), "check", "."], {})),
               ("sécurité (bandit)", _run("sécurité : bandit", [str(BIN / "bandit"), "-q", "-c", "pyproject.toml",
                                                                "-r", "contracts", "services", "devtools"], {}))]
    results += _pass("SQLite", {"EP_TEST_DB": "sqlite"}, [])
    if os.environ.get("TEST_POSTGRES", "1") == "0":
        results.append(("PostgreSQL : non lancé (TEST_POSTGRES=0)", True))
    elif _postgres_reachable():
        results += _pass("PostgreSQL", {"EP_TEST_DB": "postgresql", "TEST_POSTGRES_URL": PG_URL}, ["-m", "db"])
    else:
        results.append(("PostgreSQL : non lancé (serveur injoignable)", True))
    print("\n[test] Bilan :")
    for label, ok in results:
        print(f"[test]   {'OK    ' if ok else 'ÉCHEC '} {label}")
    return 0 if all(ok for _, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
