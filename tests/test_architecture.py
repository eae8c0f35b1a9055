"""The service split holds: import-linter's contracts (pyproject.toml) pass."""
import subprocess
import sys
from pathlib import Path

from devtools.stack import REPO_ROOT


def test_import_contracts_hold():
    result = subprocess.run([str(Path(sys.executable).parent / "lint-imports")], cwd=REPO_ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout
