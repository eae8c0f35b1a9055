"""deploy/prometheus is valid for Prometheus itself: ``promtool`` (Debian's ``prometheus`` package, installed
by scripts/ensure-system.sh) checks the scrape configuration with the rule files it names, and the rules.
That each metric the rules and the dashboard read is exported by the code: tests/test_metrics.py."""
import shutil
import subprocess

import pytest

from devtools.stack import REPO_ROOT

PROMETHEUS = REPO_ROOT / "deploy" / "prometheus"


def promtool(*args) -> subprocess.CompletedProcess:
    binary = shutil.which("promtool")
    if binary is None:
        pytest.fail("promtool is not installed (Debian: apt-get install prometheus); "
                    "scripts/ensure-system.sh installs it on a fresh machine.")
    return subprocess.run([binary, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=60)


def test_prometheus_configuration_and_its_rule_files_are_valid():
    result = promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout


def test_alert_rules_are_valid():
    result = promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_alert_rules_fire_as_documented():
    """promtool's rule unit tests (alerts_test.yml): each alert fires on the series that should raise it."""
    result = promtool("test", "rules", "alerts_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
