"""The Docker Compose stack validates, and its secrets have no default.

No Docker engine is needed: ``docker-compose config`` only parses, merges and
interpolates. The dummy values come from deploy/compose.env.example, so the
example stays complete. An empty --env-file keeps a developer's .env out of it.
"""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / "deploy" / "compose.env.example"
APP_SERVICES = ("accounts", "requests", "notifier", "web")
BROKER_NODES = ("rabbit-1", "rabbit-2", "rabbit-3")
MONITORING = ("prometheus", "grafana")
ALL_SERVICES = {*BROKER_NODES, "postgres", "mailcatcher", "ratelimits", "clamav", *APP_SERVICES, *MONITORING}
SECRETS = ("POSTGRES_PASSWORD", "ACCOUNTS_DB_PASSWORD", "REQUESTS_DB_PASSWORD", "NOTIFIER_DB_PASSWORD",
           "RABBITMQ_ERLANG_COOKIE", "RABBITMQ_ADMIN_PASSWORD", "RABBITMQ_ACCOUNTS_PASSWORD", "RABBITMQ_REQUESTS_PASSWORD",
           "RABBITMQ_NOTIFIER_PASSWORD", "RABBITMQ_WEB_PASSWORD", "EP_RPC_SECRET", "EP_SECRET_KEY", "EP_BASE_URL",
           "GRAFANA_ADMIN_PASSWORD")


def example_values() -> dict:
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value
    return values


def compose(tmp_path, *args, drop=()):
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail("docker-compose is not installed (Debian: apt-get install docker-compose); "
                    "scripts/ensure-system.sh installs it on a fresh machine.")
    values = example_values()
    # Start from the caller's environment minus anything that could change the result.
    env = {k: v for k, v in os.environ.items() if k not in values and not k.startswith("COMPOSE_")}
    env.update({k: v for k, v in values.items() if k not in drop})
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.write_text("")
    return subprocess.run(
        [binary, "--project-directory", str(ROOT), "-f", str(COMPOSE_FILE),
         "--env-file", str(empty_env_file), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )


def test_compose_config_is_valid(tmp_path):
    result = compose(tmp_path, "config", "-q")
    assert result.returncode == 0, result.stderr


def test_compose_services_healthchecks_and_required_rpc_secret(tmp_path):
    result = compose(tmp_path, "config")
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert set(services) == ALL_SERVICES

    # Every web process and replica counts anonymous posts in the one shared store.
    assert services["web"]["environment"]["EP_RATE_LIMIT_STORAGE"] == "redis://ratelimits:6379/0"
    assert not services["ratelimits"].get("ports")

    secret = example_values()["EP_RPC_SECRET"]
    for name in APP_SERVICES:
        check = services[name].get("healthcheck", {}).get("test")
        assert check and "deploy/healthcheck.py" in check and name in check, (name, check)
        assert services[name]["environment"]["EP_RPC_SECRET"] == secret, name
    # service_healthy on a service without a healthcheck would wait forever.
    for name, service in services.items():
        for dependency, how in service.get("depends_on", {}).items():
            assert how["condition"] == "service_healthy", (name, dependency)
            assert "healthcheck" in services[dependency], (name, dependency)

    missing = compose(tmp_path, "config", drop=("EP_RPC_SECRET",))
    assert missing.returncode != 0
    assert "EP_RPC_SECRET must be set" in missing.stderr


@pytest.mark.parametrize("secret", [s for s in SECRETS if s != "EP_RPC_SECRET"])
def test_other_secrets_have_no_default(tmp_path, secret):
    result = compose(tmp_path, "config", "-q", drop=(secret,))
    assert result.returncode != 0
    assert f"{secret} must be set" in result.stderr


def test_example_documents_every_variable():
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", COMPOSE_FILE.read_text(encoding="utf-8")))
    assert used - set(example_values()) == set()


def test_each_application_has_its_own_broker_and_database_account(tmp_path):
    """No guest, no shared credentials: a leaked service password is revoked alone (ASVS 14.1 / 2.10)."""
    result = compose(tmp_path, "config")
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    brokers = {name: services[name]["environment"]["AMQP_URI"] for name in APP_SERVICES}
    assert len({uri.split("@")[0] for uri in brokers.values()}) == len(APP_SERVICES)
    for name, uri in brokers.items():
        assert uri.startswith(f"amqp://{name}:") and "guest" not in uri, (name, uri)
        assert services[name]["environment"]["EP_ENV"] == "production", name
    for name in ("accounts", "requests", "notifier"):
        url = services[name]["environment"][f"{name.upper()}_DATABASE_URL"]
        assert url.startswith(f"postgresql+psycopg2://{name}:") and url.endswith(f"/{name}"), url


def test_services_scale_with_their_own_health_probe(tmp_path):
    """``docker compose up --scale requests=3``: no fixed name nor host port on a nameko service,
    each replica checked by its own readiness probe, inside its container (deploy/README.md)."""
    result = compose(tmp_path, "config")
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    for name in ("accounts", "requests", "notifier"):
        service = services[name]
        assert "container_name" not in service and not service.get("ports"), name
        assert service["healthcheck"]["test"][-2:] == ["deploy/healthcheck.py", name]
        assert service["restart"] == "unless-stopped", name         # a killed replica comes back
        assert service["environment"][f"{name.upper()}_DATABASE_URL"].startswith("postgresql"), name


def test_health_checks_ask_the_readiness_probes(tmp_path):
    """Each application's health check is its readiness probe (deploy/healthcheck.py, default ``pret``): a
    service's /pret on the probe port its environment sets (services/common/probes.py), the web's /sante/pret;
    requests is ready only with clamd, which the stack runs."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("healthcheck", ROOT / "deploy" / "healthcheck.py")
    healthcheck = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(healthcheck)
    result = compose(tmp_path, "config")
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    for name in APP_SERVICES:
        assert services[name]["healthcheck"]["test"] == ["CMD", "python", "deploy/healthcheck.py", name], name
        environment = services[name]["environment"]
        probe = healthcheck.url(name, "pret", environment)
        assert probe.startswith("http://127.0.0.1:") and probe.endswith("/sante/pret" if name == "web" else "/pret"), probe
        if name != "web":
            assert environment[f"{name.upper()}_HEALTH_PORT"] in probe, (name, probe)
    assert healthcheck.url("requests", "vivant", {"REQUESTS_HEALTH_PORT": "0.0.0.0:8081"}) == "http://127.0.0.1:8081/vivant"
    assert services["requests"]["environment"]["EP_CLAMD_HOST"] == "clamav"
    assert services["requests"]["depends_on"]["clamav"]["condition"] == "service_healthy"
    assert services["clamav"]["healthcheck"]["test"] and not services["clamav"].get("ports")
    assert healthcheck.main(["healthcheck.py", "web", "rpc"]) == 2 and healthcheck.main(["healthcheck.py", "x"]) == 2


DEFINITIONS = ROOT / "deploy" / "rabbitmq" / "definitions.json"
REPLY_ID = "0b6f3a52-6a43-4c57-9a3e-2f1d6f0f6c11"          # reply keys: "<broker account>.<uuid>" (contracts.rpc)


def broker_rights() -> dict:
    """{account: {"configure"|"write"|"read"|"topic_write"|"topic_read": compiled regex}} on the vhost "/"."""
    definitions = json.loads(DEFINITIONS.read_text(encoding="utf-8"))
    rights = {p["user"]: {k: re.compile(p[k]) for k in ("configure", "write", "read")}
              for p in definitions["permissions"] if p["vhost"] == "/"}
    for topic in definitions["topic_permissions"]:
        assert topic["exchange"] == "nameko-rpc" and topic["vhost"] == "/", topic
        user = topic["user"]              # RabbitMQ writes the account's name for {username}
        rights[user].update({f"topic_{k}": re.compile(topic[k].replace("{username}", user)) for k in ("write", "read")})
    return rights


def test_each_broker_account_reaches_its_own_queues_only(tmp_path):
    """deploy/rabbitmq/definitions.json, loaded by init-users.sh: the accounts the compose services use,
    each limited to what it needs (RabbitMQ matches these regexes against whole resource names)."""
    rights = broker_rights()
    assert set(rights) == set(APP_SERVICES)
    allowed = lambda who, what, name: bool(rights[who][what].fullmatch(name))    # noqa: E731
    services = ("accounts", "requests", "notifier")
    for who in APP_SERVICES:
        for what in ("configure", "write", "read", "topic_write", "topic_read"):
            assert not allowed(who, what, "anything-else"), (who, what)
        for service in services:       # its own RPC queue, calls and bindings; nobody else's
            mine = who == service
            assert allowed(who, "read", f"rpc-{service}") is mine, (who, service)
            assert allowed(who, "configure", f"rpc-{service}") is mine, (who, service)
            assert allowed(who, "topic_read", f"{service}.*") is mine, (who, service)
        for key in ("#", "*.*", "accounts.authenticate", "web.anything"):
            assert not allowed(who, "topic_read", key), (who, key)
        # Every account: the RPC exchange, its own exclusive reply queues and their uuid bindings.
        assert all(allowed(who, what, "nameko-rpc") for what in ("configure", "write", "read")), who
        assert all(allowed(who, what, "amq.gen-Xq3_9Zk") for what in ("configure", "write", "read")), who
        assert allowed(who, "topic_read", f"{who}.{REPLY_ID}"), who            # its own reply keys only
        assert not any(allowed(who, "topic_read", f"{other}.{REPLY_ID}") for other in APP_SERVICES if other != who)
    # Calls: the web to every service, requests and notifier to accounts, each to its own health.
    assert all(allowed("web", "topic_write", f"{s}.health") for s in services)
    assert allowed("requests", "topic_write", "accounts.caisse_for_department")
    assert allowed("notifier", "topic_write", "accounts.users_of")
    assert not allowed("accounts", "topic_write", "requests.search")
    assert not allowed("requests", "topic_write", "notifier.health")
    # Replies: services answer any caller's uuid; the web answers nobody.
    assert all(allowed(s, "topic_write", f"web.{REPLY_ID}") for s in services)
    assert not allowed("web", "topic_write", f"requests.{REPLY_ID}")
    # Events: producers publish to their own exchange; only the notifier consumes, from its own queues.
    for producer in ("accounts", "requests"):
        assert allowed(producer, "write", f"{producer}.events")
        assert not allowed("web", "write", f"{producer}.events")
        queue = f"evt-{producer}-request_submitted--notifier.on_request_submitted"
        assert allowed("notifier", "read", queue) and allowed("notifier", "read", f"{producer}.events")
        assert not any(allowed(who, "read", queue) for who in ("web", "accounts", "requests"))
    assert not allowed("requests", "write", "accounts.events")


def test_the_broker_loads_the_definitions_and_each_application_uses_its_account(tmp_path):
    result = compose(tmp_path, "config")
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    for node in BROKER_NODES:
        assert f"{DEFINITIONS}:/etc/rabbitmq/ep-definitions.json:ro" in services[node]["volumes"], node
    script = (ROOT / "deploy" / "rabbitmq" / "init-users.sh").read_text(encoding="utf-8")
    assert "import_definitions /etc/rabbitmq/ep-definitions.json" in script and '".*"' not in script
    for name in APP_SERVICES:
        uri = services[name]["environment"]["AMQP_URI"]
        password = example_values()[f"RABBITMQ_{name.upper()}_PASSWORD"]
        # From the environment, never written; every node of the cluster, in turn (contracts/broker.py).
        assert uri == ";".join(f"amqp://{name}:{password}@{node}:5672/" for node in BROKER_NODES), uri
    assert "change-me" not in COMPOSE_FILE.read_text(encoding="utf-8")


def test_the_broker_is_a_three_node_cluster_with_its_queues_mirrored(tmp_path):
    """deploy/README.md « Courtier en grappe »: three nodes, one cookie from the environment, formed by
    classic config peer discovery, each with its own data; every queue mirrored by the definitions' policy;
    every application waits for the three nodes and lists them all (tests/faults/test_cluster_failover.py)."""
    result = compose(tmp_path, "config")
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    conf = (ROOT / "deploy" / "rabbitmq" / "cluster.conf").read_text(encoding="utf-8")
    assert "cluster_formation.peer_discovery_backend = rabbit_peer_discovery_classic_config" in conf
    cookie = example_values()["RABBITMQ_ERLANG_COOKIE"]
    data = set()
    for n, node in enumerate(BROKER_NODES, 1):
        assert f"cluster_formation.classic_config.nodes.{n} = rabbit@{node}" in conf
        service = services[node]
        assert service["hostname"] == node and service["environment"]["RABBITMQ_ERLANG_COOKIE"] == cookie
        assert f"{ROOT}/deploy/rabbitmq/cluster.conf:/etc/rabbitmq/conf.d/20-cluster.conf:ro" in service["volumes"]
        data |= {v.split(":")[0] for v in service["volumes"] if ":/var/lib/rabbitmq" in v}
        assert service["healthcheck"]["test"], node
        # The cookie's power stays inside the stack: no AMQP, epmd nor distribution port published.
        assert all("15672" in str(port) and "127.0.0.1" in str(port) for port in service.get("ports", [])), node
    assert len(data) == len(BROKER_NODES)                    # a volume of its own each
    for name in APP_SERVICES:
        assert set(BROKER_NODES) <= set(services[name]["depends_on"]), name
    policies = json.loads(DEFINITIONS.read_text(encoding="utf-8"))["policies"]
    assert [(p["pattern"], p["apply-to"], p["definition"]["ha-mode"]) for p in policies] == [(".*", "queues", "all")]


def test_monitoring_profile_scrapes_each_application_on_its_private_metrics_port(tmp_path):
    """``docker-compose --profile monitoring up``: Prometheus and Grafana, started only with the profile,
    reachable from the machine only; each application serves /metrics on the port prometheus.yml scrapes,
    on the stack's network, never published (README « Surveillance »)."""
    result = compose(tmp_path, "config")
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    for name in MONITORING:
        assert services[name]["profiles"] == ["monitoring"], name
        assert all(str(port).startswith("127.0.0.1:") for port in services[name]["ports"]), name
    assert not any(services[name].get("profiles") for name in ALL_SERVICES - set(MONITORING))
    assert f"{ROOT}/deploy/prometheus:/etc/prometheus:ro" in services["prometheus"]["volumes"]
    assert f"{ROOT}/deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro" in services["grafana"]["volumes"]

    scraped = {job["job_name"]: job["dns_sd_configs"][0] for job in yaml.safe_load(
        (ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text(encoding="utf-8"))["scrape_configs"]}
    assert set(scraped) == set(APP_SERVICES)
    for name in APP_SERVICES:
        environment = services[name]["environment"]
        variable = "WEB_METRICS_PORT" if name == "web" else f"{name.upper()}_METRICS_PORT"
        assert scraped[name]["names"] == [name] and str(scraped[name]["port"]) == environment[variable], name
        assert environment["EP_METRICS_ADDRESS"] == "0.0.0.0", name     # noqa: S104 - the stack's private network
        published = [str(port) for port in services[name].get("ports", [])]
        assert not any(environment[variable] in port for port in published), (name, published)
