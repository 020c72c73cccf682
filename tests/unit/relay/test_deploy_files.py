"""The deployment files (deploy/) checked mechanically, since no test here may pull images or
boot systemd (and no container engine runs here, so ``docker compose config`` cannot either):
the unit passes ``systemd-analyze verify`` and Caddy's adapter reads the Caddyfile; every
relay flag and variable the unit, the image and the compose files pass is one the relay
takes; the image runs as a non-root user with a health check on the port it serves; both
compose files run the relay behind Caddy with nothing of the relay published, the PostgreSQL
one two relays on a health-checked database, with every secret in a file."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from relay import cli

PROJECT = Path(__file__).resolve().parents[3]
DEPLOY = PROJECT / "deploy"
UNIT = DEPLOY / "minichat-relay.service"
BACKUP_UNIT = DEPLOY / "minichat-relay-backup.service"
BACKUP_TIMER = DEPLOY / "minichat-relay-backup.timer"
RELAY_SOURCES = "\n".join(p.read_text() for p in (PROJECT / "relay").rglob("*.py"))


def _logical_lines(text: str, comment: str = "#") -> list[str]:
    """Lines with backslash continuations joined, comments and blanks dropped."""
    out: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith(comment)):
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        out.append(pending + line)
        pending = ""
    return out


def _unit(path: Path = UNIT) -> dict[str, list[tuple[str, str]]]:
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for line in _logical_lines(path.read_text()):
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
        else:
            key, _, value = line.partition("=")
            current.append((key.strip(), value.strip()))
    return sections


def _values(section: list[tuple[str, str]], key: str) -> list[str]:
    return [v for k, v in section if k == key]


def _one(section: list[tuple[str, str]], key: str) -> str:
    values = _values(section, key)
    assert len(values) == 1, (key, values)
    return values[0]


def _serve_args(argv: list[str]) -> Any:
    """``argv`` as the relay reads it (argparse exits 2 on a flag it does not take)."""
    args = cli._parser().parse_args(argv)
    assert args.command == "serve"
    return args


def _dockerfile() -> list[list[tuple[str, str]]]:
    """The Dockerfile's stages, each a list of (INSTRUCTION, arguments)."""
    stages: list[list[tuple[str, str]]] = []
    for line in _logical_lines((DEPLOY / "Dockerfile").read_text()):
        instruction, _, rest = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        stages[-1].append((instruction.upper(), rest.strip()))
    return stages


def _compose(name: str = "compose.sqlite.yaml") -> dict[str, Any]:
    loaded = yaml.safe_load((DEPLOY / name).read_text())
    assert isinstance(loaded, dict)
    return loaded


def _interpolate(value: str) -> str:
    """Compose's ${NAME:?message} with a sample value, as `docker compose config` would."""
    return re.sub(r"\$\{([A-Z_]+)(:\?[^}]*)?\}", lambda m: f"{m.group(1).lower()}.example", value)


def _relay_command(compose: dict[str, Any], service: str = "relay") -> list[str]:
    return [_interpolate(str(a)) for a in compose["services"][service]["command"]]


def test_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    """systemd's own checker finds nothing to say about the relay's unit, nor about the
    nightly backup's service and timer (run with the program path pointed at an executable
    that exists here)."""
    tool = shutil.which("systemd-analyze")
    assert tool, "systemd-analyze is missing: scripts/setup installs it (Debian package systemd)"
    program = tmp_path / "minichat-relay"
    program.write_text("#!/bin/sh\nexit 0\n")
    program.chmod(0o755)
    for source in (UNIT, BACKUP_UNIT, BACKUP_TIMER):
        (tmp_path / source.name).write_text(
            source.read_text().replace("/opt/minichat-relay/bin/minichat-relay", str(program))
        )
    for name in (UNIT.name, BACKUP_TIMER.name):  # (the timer's check reads its service too)
        res = subprocess.run(
            [tool, "verify", "--man=no", str(tmp_path / name)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (name, res.returncode, res.stdout + res.stderr) == (name, 0, "")


def test_nightly_backup_runs_as_the_relay_into_its_data_folder() -> None:
    """The backup service runs ``minichat-relay backup FOLDER --keep N`` (a command the
    relay takes) as the relay's user, on the relay's data folder, into a folder it may write
    and systemd makes; hardened as the relay is, without the network; its timer catches up
    on a missed night."""
    relay, backup = _unit()["Service"], _unit(BACKUP_UNIT)["Service"]
    argv = shlex.split(_one(backup, "ExecStart"))
    args = cli._parser().parse_args(argv[1:])
    assert (args.command, args.keep >= 7) == ("backup", True)
    env = dict(v.split("=", 1) for v in _values(backup, "Environment"))
    data = env["MINICHAT_RELAY_DATA_DIR"]
    assert (
        data
        == dict(v.split("=", 1) for v in _values(relay, "Environment"))["MINICHAT_RELAY_DATA_DIR"]
    )
    assert str(args.dest).startswith(data + "/") and _values(backup, "ReadWritePaths") == [data]
    assert "/var/lib/" + _one(backup, "StateDirectory") == str(args.dest)
    for key in ("User", "Group", "UMask", "ProtectSystem", "NoNewPrivileges", "SystemCallFilter"):
        assert _values(backup, key) == _values(relay, key), key
    assert (_one(backup, "Type"), _one(backup, "PrivateNetwork")) == ("oneshot", "yes")
    timer = _unit(BACKUP_TIMER)["Timer"]
    assert _one(timer, "Persistent") == "true" and _one(timer, "OnCalendar")


def test_systemd_unit_is_hardened_and_stops_gracefully() -> None:
    """A dedicated user, a read-only system with only the data folder writable, no new
    privileges, inet and unix sockets only, the service call set, room for many sockets,
    restarts on failure, and SIGTERM with time for the relay to drain."""
    service = _unit()["Service"]
    assert _one(service, "User") not in ("root", "0")
    assert _one(service, "NoNewPrivileges") == "yes"
    assert _one(service, "ProtectSystem") == "strict"
    assert _one(service, "PrivateTmp") == "yes"
    env = dict(v.split("=", 1) for v in _values(service, "Environment"))
    assert _values(service, "ReadWritePaths") == [env["MINICHAT_RELAY_DATA_DIR"]]
    assert set(_one(service, "RestrictAddressFamilies").split()) == {
        "AF_INET",
        "AF_INET6",
        "AF_UNIX",
    }
    assert "@system-service" in _values(service, "SystemCallFilter")
    assert int(_one(service, "LimitNOFILE")) >= 65536
    assert _one(service, "Restart") == "on-failure"
    assert _one(service, "KillSignal") == "SIGTERM"
    args = _serve_args(shlex.split(_one(service, "ExecStart"))[1:])
    assert int(_one(service, "TimeoutStopSec")) >= args.drain_grace + 15
    # the key comes as a systemd credential, under the name the relay is told
    cred_name = _one(service, "LoadCredential").split(":", 1)[0]
    assert env["MINICHAT_RELAY_KEY_FILE"] == f"%d/{cred_name}"
    # behind a proxy on the same machine: nothing of the relay listens beyond it
    assert (args.host, args.metrics_host, args.trust_proxy) == ("127.0.0.1", "127.0.0.1", True)
    assert args.public_url.startswith("https://")
    for name in env:
        assert f'"{name}"' in RELAY_SOURCES, f"{name}: the relay reads no such variable"


def test_image_runs_as_a_non_root_user_with_a_health_check() -> None:
    """The final stage: Python 3.12 slim, a numeric non-root USER, the /data volume as the
    data folder, the relay as entry point, and a HEALTHCHECK on /healthz of the port its
    default command serves."""
    stages = _dockerfile()
    final = stages[-1]
    assert final[0] == ("FROM", "python:3.12-slim")
    users = [rest for instruction, rest in final if instruction == "USER"]
    assert len(users) == 1
    uid = users[0].split(":")[0]
    assert uid.isdigit() and int(uid) >= 1000, users
    assert ("VOLUME", '["/data"]') in final
    envs = " ".join(rest for instruction, rest in final if instruction == "ENV")
    assert "MINICHAT_RELAY_DATA_DIR=/data" in envs.split()
    entry = [json.loads(rest) for instruction, rest in final if instruction == "ENTRYPOINT"]
    command = [json.loads(rest) for instruction, rest in final if instruction == "CMD"]
    assert entry == [["minichat-relay"]]
    args = _serve_args(command[0])
    health = [rest for instruction, rest in final if instruction == "HEALTHCHECK"]
    assert len(health) == 1
    assert f"http://127.0.0.1:{args.port}/healthz" in health[0]
    assert not args.trust_proxy  # alone, the image trusts no forwarded header


def test_sqlite_compose_runs_one_relay_behind_caddy_with_its_key_as_a_secret() -> None:
    """compose.sqlite.yaml, the one-process way: two services; the relay publishes no port
    (Caddy is the way in, on 80 and 443), runs with --trust-proxy on the port Caddy proxies
    to, reads its key from the Docker secret, keeps its data in a volume and gets time to
    drain on stop."""
    compose = _compose()
    assert set(compose["services"]) == {"relay", "caddy"}
    relay, caddy = compose["services"]["relay"], compose["services"]["caddy"]
    assert "ports" not in relay
    assert {"80:80", "443:443"} <= set(caddy["ports"])
    args = _serve_args(_relay_command(compose))
    assert args.trust_proxy and args.public_url == "https://relay_domain.example"
    assert {str(args.port), str(args.metrics_port)} == set(relay["expose"])
    assert relay["environment"]["MINICHAT_RELAY_KEY_FILE"] == "/run/secrets/relay_key"
    assert relay["secrets"] == ["relay_key"]
    assert compose["secrets"]["relay_key"]["file"] == "./secrets/relay.key"
    assert any(v.endswith(":/data") for v in relay["volumes"])
    assert int(relay["stop_grace_period"].rstrip("s")) >= args.drain_grace + 15
    assert relay.get("deploy", {}).get("replicas", 1) == 1  # SQLite: one writer, one process
    assert "MINICHAT_RELAY_STORE" not in relay["environment"]
    assert caddy["depends_on"]["relay"]["condition"] == "service_healthy"
    assert caddy["environment"]["RELAY_UPSTREAMS"] == f"relay:{args.port}"
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    for name in relay["environment"]:
        assert f'"{name}"' in RELAY_SOURCES, f"{name}: the relay reads no such variable"


def _caddy_json(environment: dict[str, str]) -> dict[str, Any]:
    """The Caddyfile as Caddy's own adapter turns it into its JSON configuration."""
    tool = shutil.which("caddy")
    assert tool, "caddy is missing: scripts/setup installs it (Debian package caddy)"
    res = subprocess.run(
        [tool, "adapt", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", **environment},
    )
    assert res.returncode == 0, res.stderr
    loaded = json.loads(res.stdout)
    assert isinstance(loaded, dict)
    return loaded


def _handlers(node: Any) -> list[dict[str, Any]]:
    """Every handler object anywhere in a Caddy JSON configuration."""
    if isinstance(node, list):
        return [h for item in node for h in _handlers(item)]
    if not isinstance(node, dict):
        return []
    found = [node] if "handler" in node else []
    return found + [h for value in node.values() for h in _handlers(value)]


def test_caddyfile_serves_the_domain_over_https_and_balances_over_the_relays() -> None:
    """Caddy reads the Caddyfile: the domain from RELAY_DOMAIN on 443 (automatic HTTPS, the
    ACME account from ACME_EMAIL), one reverse proxy whose upstreams are, by default, the
    PostgreSQL compose file's two relays on their port, with active readiness checks on
    /readyz, passive checks, retries on another upstream, a hash that keeps a shop on one
    process, and no trusted proxies (so Caddy writes X-Forwarded-For itself, which is what
    --trust-proxy relies on)."""
    config = _caddy_json({"RELAY_DOMAIN": "relay.example.com", "ACME_EMAIL": "ops@example.com"})
    server = config["apps"]["http"]["servers"]["srv0"]
    assert server["listen"] == [":443"]
    assert server["routes"][0]["match"] == [{"host": ["relay.example.com"]}]
    assert "ops@example.com" in json.dumps(config["apps"]["tls"])
    proxies = [h for h in _handlers(config) if h["handler"] == "reverse_proxy"]
    assert len(proxies) == 1
    compose = _compose("compose.yaml")
    port = _serve_args(_relay_command(compose, "relay-1")).port
    assert proxies[0]["upstreams"] == [{"dial": f"relay-1:{port}"}, {"dial": f"relay-2:{port}"}]
    checks = proxies[0]["health_checks"]
    assert checks["active"]["uri"] == "/readyz"
    assert checks["passive"]["max_fails"] >= 1 and checks["passive"]["fail_duration"] > 0
    assert checks["passive"]["unhealthy_status"] == [503]
    balancing = proxies[0]["load_balancing"]
    assert balancing["selection_policy"] == {"policy": "header", "field": "X-Minichat-Shop"}
    # the header it hashes: a client's own dropped, then the shop from ?shop= or the path
    headers = [h for h in _handlers(config) if h["handler"] == "headers"]
    assert headers[0]["request"] == {"delete": ["X-Minichat-Shop"]}
    assert [h["request"]["set"]["X-Minichat-Shop"] for h in headers[1:]] == [
        ["{http.request.uri.query.shop}"],
        ["{http.regexp.shop.1}"],
    ]
    assert balancing["try_duration"] >= 1_000_000_000  # nanoseconds: another upstream, not 502
    assert "trusted_proxies" not in json.dumps(config)
    # only widget.js is compressed: nothing stands between the sockets and the relay
    encoders = [h for h in _handlers(config) if h["handler"] == "encode"]
    assert len(encoders) == 1
    assert '"path": ["/widget.js"]' in json.dumps(server)


def test_caddyfile_takes_the_upstreams_each_compose_file_gives_it() -> None:
    """RELAY_UPSTREAMS, as each compose file sets it for Caddy, becomes the proxy's upstream
    list (the end-to-end test gives it local ports the same way)."""
    for name in ("compose.yaml", "compose.sqlite.yaml"):
        upstreams = _compose(name)["services"]["caddy"]["environment"]["RELAY_UPSTREAMS"]
        config = _caddy_json(
            {"RELAY_DOMAIN": "r.example", "ACME_EMAIL": "a@r.example", "RELAY_UPSTREAMS": upstreams}
        )
        (proxy,) = [h for h in _handlers(config) if h["handler"] == "reverse_proxy"]
        assert [u["dial"] for u in proxy["upstreams"]] == upstreams.split(), name


def _strings(node: Any) -> list[str]:
    """Every key and scalar value in a loaded YAML document, as text."""
    if isinstance(node, dict):
        return [t for k, v in node.items() for t in (str(k), *_strings(v))]
    if isinstance(node, list):
        return [t for item in node for t in _strings(item)]
    return [str(node)]


def test_postgres_compose_runs_two_relays_on_one_health_checked_database() -> None:
    """compose.yaml: PostgreSQL pinned to a major version, its data in a volume, healthy only
    when pg_isready answers over TCP, durable commits written out; two relays with the same
    arguments on the shared store (the URL names the database service and no password), each
    with a readiness health check, started after the database is healthy, draining longer
    than Caddy's check interval; Caddy starts after both and publishes 80 and 443; nothing of
    a relay or the database is published."""
    compose = _compose("compose.yaml")
    services = compose["services"]
    assert set(services) == {"postgres", "relay-1", "relay-2", "caddy"}
    pg = services["postgres"]
    assert re.fullmatch(r"postgres:\d+", pg["image"]), pg["image"]
    assert "postgres-data:/var/lib/postgresql/data" in pg["volumes"]
    assert pg["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert "127.0.0.1" in pg["healthcheck"]["test"]
    assert "synchronous_commit=on" in pg["command"] and "fsync=on" in pg["command"]
    assert not any(re.search(r"(synchronous_commit|fsync)=off", s) for s in _strings(pg))
    assert "ports" not in pg
    caddy = services["caddy"]
    assert {"80:80", "443:443"} <= set(caddy["ports"])
    assert caddy["depends_on"] == {
        "relay-1": {"condition": "service_healthy"},
        "relay-2": {"condition": "service_healthy"},
    }
    interval = _caddy_json({"RELAY_DOMAIN": "r.example", "ACME_EMAIL": "a@r.example"})
    (proxy,) = [h for h in _handlers(interval) if h["handler"] == "reverse_proxy"]
    check_every = proxy["health_checks"]["active"]["interval"] / 1e9
    commands = [_relay_command(compose, name) for name in ("relay-1", "relay-2")]
    assert commands[0] == commands[1]
    args = _serve_args(commands[0])
    assert args.trust_proxy and args.public_url == "https://relay_domain.example"
    assert check_every < args.drain_grace  # taken out of the balancer before sockets close
    for name in ("relay-1", "relay-2"):
        relay = services[name]
        assert "ports" not in relay
        assert {str(args.port), str(args.metrics_port)} == set(relay["expose"])
        assert relay["depends_on"]["postgres"]["condition"] == "service_healthy"
        health = " ".join(relay["healthcheck"]["test"])
        assert f"http://127.0.0.1:{args.port}/readyz" in health
        assert int(relay["stop_grace_period"].rstrip("s")) >= args.drain_grace + 15
        assert any(v.endswith(":/data") for v in relay["volumes"])
        assert relay["read_only"] is True and relay["cap_drop"] == ["ALL"]
        store = urlsplit(relay["environment"]["MINICHAT_RELAY_STORE"])
        assert (store.scheme, store.hostname, store.password) == ("postgresql", "postgres", None)
        assert store.username == pg["environment"]["POSTGRES_USER"]
        assert store.path == "/" + pg["environment"]["POSTGRES_DB"]
    assert services["relay-1"]["volumes"] != services["relay-2"]["volumes"]


def test_postgres_compose_keeps_every_secret_in_a_file() -> None:
    """The database password is one Docker secret read by PostgreSQL
    (POSTGRES_PASSWORD_FILE) and both relays (MINICHAT_RELAY_STORE_PASSWORD_FILE), the relay
    key another; no environment value, command or URL in either compose file holds a
    password, key or token, and every variable given to a relay is one the relay reads."""
    compose = _compose("compose.yaml")
    services = compose["services"]
    pg = services["postgres"]
    assert pg["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert pg["secrets"] == ["postgres_password"]
    assert compose["secrets"]["postgres_password"]["file"] == "./secrets/postgres_password"
    assert compose["secrets"]["relay_key"]["file"] == "./secrets/relay.key"
    for name in ("relay-1", "relay-2"):
        env = services[name]["environment"]
        assert env["MINICHAT_RELAY_STORE_PASSWORD_FILE"] == "/run/secrets/postgres_password"
        assert env["MINICHAT_RELAY_KEY_FILE"] == "/run/secrets/relay_key"
        assert set(services[name]["secrets"]) == {"relay_key", "postgres_password"}
        for var in env:
            assert f'"{var}"' in RELAY_SOURCES, f"{var}: the relay reads no such variable"
    for file in ("compose.yaml", "compose.sqlite.yaml"):
        loaded = _compose(file)
        for service in loaded["services"].values():
            for var in service.get("environment", {}):
                secretish = re.search(r"PASSWORD|SECRET|TOKEN|_KEY$", var)
                assert not secretish or var.endswith("_FILE"), f"{file}: {var} given as a value"
        for text in _strings(loaded):
            assert not re.search(r"://[^/@\s]+:[^/@\s]*@", text), f"{file}: a password in {text}"
            assert "--password" not in text and "PGPASSWORD" not in text, text


def test_systemd_unit_shows_the_shared_store_with_its_password_as_a_credential() -> None:
    """The unit's commented PostgreSQL lines, uncommented, give a store URL without a
    password and the password file as a systemd credential the relay is told of."""
    lines = [
        line.lstrip("#")
        for line in UNIT.read_text().splitlines()
        if line.startswith("#") and "=" in line and not line.startswith("# ")
    ]
    env = dict(v.split("=", 1)[1].split("=", 1) for v in lines if v.startswith("Environment="))
    creds = [v.split("=", 1)[1] for v in lines if v.startswith("LoadCredential=")]
    store = urlsplit(env["MINICHAT_RELAY_STORE"])
    assert store.scheme == "postgresql" and store.password is None
    (cred,) = creds
    assert env["MINICHAT_RELAY_STORE_PASSWORD_FILE"] == f"%d/{cred.split(':', 1)[0]}"
    for name in env:
        assert name in RELAY_SOURCES, f"{name}: the relay reads no such variable"


def test_the_image_build_context_holds_only_what_the_dockerfile_copies() -> None:
    """.dockerignore leaves out everything but the Dockerfile's COPY sources, so the relay key
    and the database password in deploy/secrets (and deploy/.env) never reach the builder."""
    lines = [
        line.strip()
        for line in (PROJECT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*"  # everything out first
    taken = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    copied: set[str] = set()
    for stage in _dockerfile():
        for instruction, rest in stage:
            if instruction == "COPY" and not rest.startswith("--from"):
                copied.update(a.rstrip("/") for a in shlex.split(rest)[:-1])
    assert taken == copied
    assert not any(t.startswith(("deploy", ".")) for t in taken)
