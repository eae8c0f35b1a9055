"""`make test`: every test, on SQLite first, then the database-touching tests
again on PostgreSQL when a server is reachable (TEST_POSTGRES=0 skips that
pass on purpose). Prints which passes ran.

Two pytest sessions per pass: the service tests run under eventlet's monkey
patch (`nameko test`, as the services run), the cross-service and web tests
in a plain interpreter (as gunicorn and the browser tests run). The services'
sessions of both passes run side by side, first; then the system sessions.
"""
import os
import socket
import subprocess
import sys
import tempfile
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


def _run_side_by_side(runs: list[tuple[str, list[str], dict]]) -> list[tuple[str, bool]]:
    """Several sessions at once, each printed whole when it ends (their lines never interleave)."""
    started = []
    for label, args, env in runs:
        output = tempfile.TemporaryFile()
        started.append((label, output, subprocess.Popen(args, cwd=REPO_ROOT, env={**os.environ, **env},
                                                        stdout=output, stderr=subprocess.STDOUT)))
    results = []
    for label, output, process in started:
        ok = process.wait() == 0
        output.seek(0)
        print(f"\n[test] === {label} ===", flush=True)
        sys.stdout.buffer.write(output.read())
        sys.stdout.flush()
        output.close()
        results.append((label, ok))
    return results


def _services(name: str, env: dict, extra: list[str]) -> tuple[str, list[str], dict]:
    return (f"{name} : services (nameko test)",
            [str(BIN / "nameko"), "test", "services", "contracts", "-p", "no:cacheprovider", *extra], env)


def _system(name: str, env: dict, extra: list[str]) -> tuple[str, bool]:
    label = f"{name} : système et web"
    return label, _run(label, [sys.executable, "-m", "pytest", "tests", "-p", "no:cacheprovider", *extra], env)


def main() -> int:
    results = [("architecture (import-linter)", _run("architecture", [str(BIN / "lint-imports")], {})),
               # Zero findings allowed; each silenced one is explained in pyproject.toml or on its line.
               ("sécurité (ruff, règles S)", _run("sécurité : ruff", [str(BIN / "ruff"), "check", "."], {})),
               ("sécurité (bandit)", _run("sécurité : bandit", [str(BIN / "bandit"), "-q", "-c", "pyproject.toml",
                                                                "-r", "contracts", "services", "devtools"], {}))]
    passes = [("SQLite", {"EP_TEST_DB": "sqlite"}, [])]
    if os.environ.get("TEST_POSTGRES", "1") == "0":
        skipped = "PostgreSQL : non lancé (TEST_POSTGRES=0)"
    elif _postgres_reachable():
        skipped = None
        passes.append(("PostgreSQL", {"EP_TEST_DB": "postgresql", "TEST_POSTGRES_URL": PG_URL}, ["-m", "db"]))
    else:
        skipped = "PostgreSQL : non lancé (serveur injoignable)"
    # The services' sessions (each on its own vhost and databases) run side by side: mostly one core each,
    # they take the time of one. The system sessions drive real processes and wait on them: one at a time.
    results += _run_side_by_side([_services(*p) for p in passes])
    results += [_system(*p) for p in passes]
    if skipped:
        results.append((skipped, True))
    print("\n[test] Bilan :")
    for label, ok in results:
        print(f"[test]   {'OK    ' if ok else 'ÉCHEC '} {label}")
    return 0 if all(ok for _, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
