"""The container files say what docs/operations.md promises. No container engine runs here
(`docker compose config` needs a daemon-side plugin this machine lacks), so the compose file is
read as the YAML it is and held to the deployment's requirements."""

from __future__ import annotations

from typing import Any

import yaml

from tests.proc import ROOT


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_every_long_running_service_restarts_and_is_health_checked() -> None:
    services = _compose()["services"]
    for name in ("postgres", "redis", "web", "worker", "proxy"):
        assert services[name]["restart"] == "unless-stopped", name
    for name in ("postgres", "redis", "web", "worker"):
        assert services[name]["healthcheck"]["test"], name
    assert services["migrate"]["restart"] == "on-failure"


def test_worker_health_check_asks_the_worker_and_web_checks_itself() -> None:
    services = _compose()["services"]
    assert services["worker"]["healthcheck"]["test"] == ["CMD", "dutybot", "worker", "--check"]
    assert "/healthz?scope=web" in " ".join(services["web"]["healthcheck"]["test"])
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "/healthz?scope=web" in dockerfile


def test_two_web_replicas_behind_https_and_two_workers() -> None:
    services = _compose()["services"]
    assert services["web"]["deploy"]["replicas"] == 2
    assert services["worker"]["deploy"]["replicas"] == 2
    assert "ports" not in services["web"]  # only the proxy is reachable from outside
    assert "443:443" in services["proxy"]["ports"]
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    assert "dynamic a web 8080" in caddyfile
    assert "health_uri /healthz?scope=web" in caddyfile


def test_redis_keeps_jobs_and_never_evicts() -> None:
    command = _compose()["services"]["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"


def test_env_example_names_every_variable_compose_requires() -> None:
    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for name in ("POSTGRES_PASSWORD", "DUTYBOT_DOMAIN"):
        assert f"${{{name}:?" in text
        assert f"\n{name}=" in example
    services = _compose()["services"]
    for name in ("migrate", "web", "worker"):
        env = services[name]["environment"]
        assert env["DUTYBOT_DATABASE_URL"].startswith("postgres://")
        assert env["DUTYBOT_REDIS_URL"].startswith("redis://")
