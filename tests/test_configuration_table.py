"""The README's configuration table is the list of what an operator may set: it names every
environment variable the deployed code reads (Python and the services' config.yaml), and nothing
more. And each part reads the environment in one module only (its settings)."""
import ast
import re
from fnmatch import fnmatch

from devtools.stack import REPO_ROOT

DEPLOYED = ("contracts", "services")
# The one module of each part allowed to read the environment.
SETTINGS_MODULES = {"contracts/broker.py", "contracts/production.py", "services/common/config.py",
                    "services/web/config.py", "services/accounts/settings.py", "services/requests/settings.py",
                    "services/notifier/settings.py"}
READERS = {"get", "getenv", "env_text", "env_int", "env_number", "env_duration"}
NAME = re.compile(r"[A-Z*][A-Z0-9_*]*")


def _deployed_python():
    for top in DEPLOYED:
        for path in sorted((REPO_ROOT / top).rglob("*.py")):
            relative = path.relative_to(REPO_ROOT).as_posix()
            if "/tests/" not in relative and "/migrations/" not in relative:
                yield relative, ast.parse(path.read_text(encoding="utf-8"))


def _literal_name(node) -> str | None:
    """A variable name given as a string or an f-string (its placeholders become ``*``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(part.value if isinstance(part, ast.Constant) else "*" for part in node.values)
    else:
        return None
    return text if NAME.fullmatch(text) and "_" in text else None


def _reads(tree) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            owner = getattr(node.func, "value", None)
            from_environ = callee in ("get", "getenv") and "environ" in ast.unparse(owner) or callee == "getenv"
            if from_environ or callee in READERS - {"get", "getenv"}:
                name = _literal_name(node.args[0])
                if name:
                    found.add(name)
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value).endswith("environ"):
            name = _literal_name(node.slice)
            if name:
                found.add(name)
    return found


def code_variables() -> set[str]:
    names = set().union(*(_reads(tree) for _, tree in _deployed_python()))
    for config in (REPO_ROOT / "services").glob("*/config.yaml"):
        names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", config.read_text(encoding="utf-8")))
    return names


def readme_variables() -> set[str]:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Configuration (variables d'environnement)", 1)[1].split("\n#", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names |= {re.sub(r"<[^>]+>", "*", n) for n in re.findall(r"`([A-Z][A-Z0-9_<>]*)`", first_cell)}
    return names


def _covered(name: str, others: set[str]) -> bool:
    return name in others or any(fnmatch(name, other) or fnmatch(other, name) for other in others if "*" in other + name)


def test_the_readme_table_names_every_variable_the_code_reads():
    documented, read = readme_variables(), code_variables()
    assert len(read) > 30 and len(documented) > 30           # both readers found their material
    assert sorted(n for n in read if not _covered(n, documented)) == []


def test_the_readme_table_names_nothing_the_code_does_not_read():
    documented, read = readme_variables(), code_variables()
    assert sorted(n for n in documented if not _covered(n, read)) == []


def test_each_part_reads_the_environment_in_its_settings_only():
    readers = sorted(path for path, tree in _deployed_python() if path not in SETTINGS_MODULES and
                     any(isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv")
                         for node in ast.walk(tree)))
    assert readers == []
