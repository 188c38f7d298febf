"""The container files say what docs/operations.md promises. No container engine runs here
(`docker compose config` needs a daemon-side plugin this machine lacks), so the compose file is
read as the YAML it is and held to the deployment's requirements."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import socket
import subprocess
import sys
import tomllib
from typing import Any

import click
import yaml

from bot import heartbeat
from bot.cli import main
from bot.config import Settings
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


# ---- the container files read against the code (no engine to run them here) ---------------

DUTYBOT_NAME = re.compile(r"\bDUTYBOT_[A-Z0-9_]+")
# Compose's own variable (the public host name for Caddy and DUTYBOT_PUBLIC_URL), named with
# the prefix so it sits with the others in .env; the bot reads DUTYBOT_PUBLIC_URL instead.
COMPOSE_ONLY = {"DUTYBOT_DOMAIN"}


def _container_files() -> dict[str, str]:
    names = ("compose.yaml", ".env.example", "Dockerfile", "deploy/Caddyfile")
    return {name: (ROOT / name).read_text(encoding="utf-8") for name in names}


def test_every_dutybot_variable_they_set_is_a_setting_the_bot_reads() -> None:
    fields = set(Settings.model_fields)
    for name, text in _container_files().items():
        for variable in set(DUTYBOT_NAME.findall(text)) - COMPOSE_ONLY:
            assert variable.removeprefix("DUTYBOT_").lower() in fields, (name, variable)
    # And .env.example's values are ones the settings accept (blank means "not used").
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    values = {
        key: value
        for key, _, value in (
            line.partition("=") for line in example.splitlines() if "=" in line and line[0] != "#"
        )
        if key.startswith("DUTYBOT_") and key not in COMPOSE_ONLY
    }
    settings = Settings.model_validate(
        {k.removeprefix("DUTYBOT_").lower(): v for k, v in values.items() if v}
    )
    assert settings.console is False  # the console has no login: off in production


def _resolve(words: list[str]) -> None:
    """``words`` (after ``dutybot``) name a command, and every ``--option`` exists on it."""
    command: click.Command = main
    rest = list(words)
    while rest and isinstance(command, click.Group) and rest[0] in command.commands:
        command = command.commands[rest.pop(0)]
    assert not isinstance(command, click.Group), f"dutybot {' '.join(words)}: no such command"
    options = {opt for param in command.params for opt in param.opts}
    for word in rest:
        if word.startswith("--"):
            assert word.split("=")[0] in options, f"dutybot {' '.join(words)}: no {word}"


def _commands_in(text: str) -> list[list[str]]:
    """Every ``dutybot …`` command line, and what ``docker compose run … worker …`` runs."""
    found = []
    for line in re.split(r"[`\n]|&&", text):
        line = line.split(" #")[0].strip()
        if line.startswith("dutybot "):
            found.append(shlex.split(line)[1:])
        elif " run --rm " in line and " worker " in line:
            found.append(shlex.split(line.split(" worker ", 1)[1]))
    return found


def test_the_commands_they_run_exist() -> None:
    assert _pyproject()["project"]["scripts"]["dutybot"] == "bot.cli:main"
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert 'ENTRYPOINT ["dutybot"]' in dockerfile
    _resolve(json.loads(dockerfile.split("\nCMD ", 1)[1].splitlines()[0]))
    services = _compose()["services"]
    for name in ("migrate", "web", "worker"):
        _resolve(services[name]["command"])
    _resolve(services["worker"]["healthcheck"]["test"][2:])  # CMD dutybot worker --check
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    commands = _commands_in(operations)
    assert len(commands) >= 10, commands
    for words in commands:
        _resolve(words)


def test_port_home_and_health_paths_agree_with_the_code() -> None:
    port = Settings.model_fields["http_port"].default
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert f"EXPOSE {port}" in dockerfile
    assert f"127.0.0.1:{port}/healthz?scope=web" in dockerfile
    services = _compose()["services"]
    assert services["web"]["expose"] == [str(port)]
    assert f"127.0.0.1:{port}/healthz?scope=web" in " ".join(services["web"]["healthcheck"]["test"])
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    assert f"dynamic a web {port}" in caddyfile
    # The image's DUTYBOT_HOME is the volume every app container mounts (calendar.toml, and
    # the heartbeat file `worker --check` reads, one per host name).
    home = re.search(r"DUTYBOT_HOME=(\S+)", dockerfile)
    assert home is not None
    for name in ("migrate", "web", "worker"):
        assert f"dutybot-home:{home.group(1)}" in services[name]["volumes"], name
    assert heartbeat.file_name().endswith(socket.gethostname())


def test_the_image_gets_every_file_the_package_reads() -> None:
    """The image installs with ``pip install .`` from what the Dockerfile copies: the packages
    and the files pyproject names; every data file under them must be in package-data."""
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    project = _pyproject()
    copied = " ".join(line for line in dockerfile.splitlines() if line.startswith("COPY "))
    for needed in ("pyproject.toml", project["project"]["readme"]):
        assert needed in copied, needed
    packages = project["tool"]["setuptools"]["packages"]["find"]["include"]
    package_data = project["tool"]["setuptools"]["package-data"]
    for pattern in packages:
        top = pattern.rstrip("*")
        assert f"COPY {top} ./{top}" in dockerfile, top
        for path in (ROOT / top).rglob("*"):
            if not path.is_file() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
                continue
            relative = path.relative_to(ROOT / top).as_posix()
            globs = package_data.get(top, [])
            assert any(fnmatch.fnmatch(relative, g) for g in globs), f"{top}/{relative}"


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_health_check_command_does_not_load_matplotlib() -> None:
    """`dutybot worker --check` runs every 30 s in each worker container with a 10 s timeout,
    and every `dutybot` command imports the whole command tree: a plotting library loaded
    there cost seconds on a busy machine (found when `dutybot demo` missed its start limit)."""
    code = "import sys, bot.cli; print([m for m in sys.modules if m.startswith('matplotlib')])"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
