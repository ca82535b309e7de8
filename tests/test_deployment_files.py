"""The deployment files refer to things that exist and keep secrets out of the repository.

docker-compose.yml, the Dockerfile and hub_config/ are checked against the code they start:
each command names a real module, management command, Celery queue or config file; every
secret is interpolated from the environment; and the hub's configuration loads (and runs) with
JupyterHub, giving the LMS only the scopes it needs.
"""

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
HUB_CONFIG = ROOT / "hub_config" / "jupyterhub_config.py"
HUB_VALUES = ROOT / "hub_config" / "values.yaml"

COMPOSE = yaml.safe_load(COMPOSE_FILE.read_text())
SERVICES = COMPOSE["services"]
# Services run from this project's image, whose commands must all be understood here.
OUR_SERVICES = sorted(name for name, spec in SERVICES.items() if "build" in spec)

SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|CRYPT_KEY")
INTERPOLATED = re.compile(r"^\$\{[A-Z_][A-Z0-9_]*(:?[-?][^}]*)?\}$")
CREDENTIALS_IN_URL = re.compile(r"^[a-z][a-z0-9+.-]*://[^:/@]+:(?P<password>[^@]+)@")

LMS_ROLE_SCOPES_FORBIDDEN = {
    "admin:auth_state",
    "admin:servers",
    "admin:server_state",
    "admin:groups",
    "admin:services",
    "admin-ui",
    "shutdown",
    "proxy",
    "tokens",
    "inherit",
}
# Hub-wide powers the LMS token must not have even through sub-scopes.
HUB_WIDE_SCOPES = {"admin:groups", "admin:services", "admin:server_state", "admin-ui",
                   "shutdown", "proxy", "tokens", "read:tokens", "read:hub"}


def _argv(service: dict) -> list[str]:
    command = service.get("command") or []
    return shlex.split(command) if isinstance(command, str) else [str(a) for a in command]


def _environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def _django():
    """Django set up with the settings in use (pytest-django's, or the demo's when run alone)."""
    import django
    from django.conf import settings

    if not settings.configured:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
        os.environ.setdefault("DJANGO_DEBUG", "1")
    django.setup()
    return settings


# --- docker-compose.yml ----------------------------------------------------------------------


def test_compose_defines_the_platform_services():
    assert {"db", "redis", "web", "worker", "beat", "hub"} <= set(SERVICES)
    assert "version" not in COMPOSE


def test_every_service_of_our_image_has_a_command():
    assert OUR_SERVICES, "no service builds this project's image"
    for name in OUR_SERVICES:
        assert _argv(SERVICES[name]), f"service {name} relies on the image's default command"


@pytest.mark.parametrize("name", OUR_SERVICES)
def test_service_command_refers_to_something_that_exists(name):
    argv = _argv(SERVICES[name])
    checks = {
        "gunicorn": _check_gunicorn,
        "celery": _check_celery,
        "python": _check_manage_py,
        "jupyterhub": _check_jupyterhub,
    }

    assert argv[0] in checks, f"{name}: unknown command {argv[0]!r}"
    checks[argv[0]](name, argv)


def _check_gunicorn(name: str, argv: list[str]) -> None:
    targets = [a for a in argv[1:] if re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", a)]
    assert len(targets) == 1, f"{name}: expected one module:callable in {argv}"
    module, attribute = targets[0].split(":")
    path = ROOT / (module.replace(".", "/") + ".py")
    assert path.is_file(), f"{name}: {module} is not a module of this project"
    assert re.search(rf"^{attribute}\s*=", path.read_text(), re.MULTILINE), (
        f"{name}: {path.name} defines no {attribute}"
    )
    port = argv[argv.index("--bind") + 1].rsplit(":", 1)[1]
    published = [str(p).rsplit(":", 1)[-1] for p in SERVICES[name].get("ports", [])]
    assert published == [port], f"{name}: gunicorn binds {port}, compose publishes {published}"


def _check_celery(name: str, argv: list[str]) -> None:
    assert argv[1:3] == ["-A", "lms"], f"{name}: the Celery app is lms.celery"
    settings = _django()
    from lms.celery import app

    if "worker" in argv:
        queues = set(argv[argv.index("-Q") + 1].split(","))
        routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
        assert queues == {settings.CELERY_TASK_DEFAULT_QUEUE} | routed, (
            f"{name}: consumes {sorted(queues)}; tasks are routed to "
            f"{sorted({settings.CELERY_TASK_DEFAULT_QUEUE} | routed)}"
        )
    elif "beat" in argv:
        app.loader.import_default_modules()
        scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
        assert scheduled, "beat runs with an empty schedule"
        assert scheduled <= set(app.tasks), f"unregistered: {scheduled - set(app.tasks)}"
        schedule_file = argv[argv.index("--schedule") + 1]
        assert schedule_file.startswith("/app/var/"), "beat's schedule must be in writable var/"
    else:
        pytest.fail(f"{name}: unexpected celery command {argv}")


def _check_manage_py(name: str, argv: list[str]) -> None:
    assert argv[1] == "manage.py", f"{name}: unexpected python command {argv}"
    assert (ROOT / "manage.py").is_file()
    _django()
    from django.core.management import get_commands

    assert argv[2] in get_commands(), f"{name}: no management command {argv[2]!r}"


def _check_jupyterhub(name: str, argv: list[str]) -> None:
    config = ROOT / argv[argv.index("-f") + 1]
    assert config.is_file(), f"{name}: {config} does not exist"
    with tempfile.TemporaryDirectory() as data_dir:
        result = _load_hub_config(config, JUPYTERHUB_DATA_DIR=data_dir, JUPYTERHUB_DEMO_AUTH="1")
    assert result.returncode == 0, result.stderr


def test_compose_dependencies_wait_for_health_or_completion():
    for name, spec in SERVICES.items():
        for dependency, rule in (spec.get("depends_on") or {}).items():
            assert dependency in SERVICES, f"{name} depends on unknown {dependency}"
            condition = rule.get("condition")
            if condition == "service_healthy":
                assert "healthcheck" in SERVICES[dependency], f"{dependency} has no healthcheck"
            if condition == "service_completed_successfully":
                assert SERVICES[dependency].get("restart") == "no", (
                    f"{dependency} is a one-shot job and must not restart"
                )
    assert SERVICES["web"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )


def test_no_secret_is_written_in_compose():
    environments = [("x-lms-env", COMPOSE.get("x-lms-env") or {})]
    environments += [(name, _environment(spec)) for name, spec in SERVICES.items()]
    for owner, env in environments:
        for key, value in env.items():
            if SECRET_NAME.search(key):
                assert INTERPOLATED.match(value), f"{owner}: {key} is not ${{...}} interpolated"
            credentials = CREDENTIALS_IN_URL.match(value)
            if credentials:
                assert INTERPOLATED.match(credentials["password"]), (
                    f"{owner}: {key} carries a literal password"
                )
    assert not re.search(r"\b[0-9a-f]{32,}\b", COMPOSE_FILE.read_text()), "a token-like literal"


def test_required_secrets_stop_compose_with_a_message():
    required = re.findall(r"\$\{(\w+):\?([^}]+)\}", COMPOSE_FILE.read_text())
    names = {name for name, _ in required}

    assert {"DJANGO_SECRET_KEY", "JUPYTERHUB_API_TOKEN", "LMS_OAUTH_CLIENT_SECRET"} <= names
    assert all(message.strip() for _, message in required)


def test_only_the_hub_gets_the_docker_socket():
    with_socket = {
        name for name, spec in SERVICES.items()
        if any("docker.sock" in str(volume) for volume in spec.get("volumes", []))
    }

    assert with_socket == {"hub"}


def test_compose_sets_only_variables_that_the_code_reads():
    settings_source = (ROOT / "lms" / "settings.py").read_text()
    hub_source = HUB_CONFIG.read_text()

    for key in COMPOSE["x-lms-env"]:
        assert f'"{key}"' in settings_source, f"lms/settings.py does not read {key}"
    for key in _environment(SERVICES["hub"]):
        assert f'"{key}"' in hub_source, f"the hub config does not read {key}"


def test_the_hub_runs_learners_labs_in_containers():
    env = _environment(SERVICES["hub"])

    assert env["JUPYTERHUB_SPAWNER"] == "docker"
    assert env["JUPYTERHUB_DOCKER_NETWORK"] in {
        net.get("name") for net in (COMPOSE.get("networks") or {}).values() if net
    }
    assert "DJANGO_SECRET_KEY" not in env
    assert "env_file" not in SERVICES["hub"]


# --- Dockerfile --------------------------------------------------------------------------------


def test_dockerfile_runs_the_web_command_as_app_under_tini():
    text = DOCKERFILE.read_text()

    assert re.search(r"^FROM python:3\.11-slim-bookworm\b", text, re.MULTILINE)
    assert re.search(r"^USER app$", text, re.MULTILINE)
    assert "useradd --uid 1000" in text
    assert "tini" in re.search(r"^ENTRYPOINT (.+)$", text, re.MULTILINE)[1]
    cmd = json.loads(re.search(r"^CMD (\[.+\])$", text, re.MULTILINE)[1])
    assert cmd == _argv(SERVICES["web"])
    assert re.search(r"^EXPOSE 8000$", text, re.MULTILINE)
    healthcheck = text[text.index("HEALTHCHECK"):]
    assert "/healthz" in healthcheck
    assert "urllib" in healthcheck
    assert "curl" not in healthcheck
    assert "pip install --no-cache-dir -c requirements/constraints.txt ." in text
    assert "collectstatic --noinput" in text


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image():
    patterns = {line.strip() for line in DOCKERIGNORE.read_text().splitlines()}

    assert {".env", ".venv", "var", ".git", "node_modules"} <= patterns
    assert any("__pycache__" in p for p in patterns)


# --- hub_config/jupyterhub_config.py ------------------------------------------------------------

_LOADER = """
import json, sys
from traitlets.config.loader import PyFileConfigLoader
from traitlets.utils.importstring import import_item

config = PyFileConfigLoader(sys.argv[1]).load_config()
# Instantiating the authenticator validates every value given to it; the spawner class must
# at least import (it is instantiated per user by the hub).
import_item(config.JupyterHub.authenticator_class)(config=config)
if "spawner_class" in config.JupyterHub:
    import_item(config.JupyterHub.spawner_class)
as_json = lambda o: sorted(o) if isinstance(o, (set, frozenset)) else repr(o)
print(json.dumps(config, default=as_json))
"""


def _hub_env(**env: str) -> dict[str, str]:
    """A clean environment: nothing from this shell leaks into the hub's configuration."""
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR"}}
    return {**keep, **env}


def _load_hub_config(path: Path = HUB_CONFIG, **env: str) -> subprocess.CompletedProcess:
    """Load the config as JupyterHub does, in a subprocess with only ``env`` (and the
    hub's state in ``env["JUPYTERHUB_DATA_DIR"]``)."""
    assert "JUPYTERHUB_DATA_DIR" in env, "keep the hub's state out of the work tree"
    return subprocess.run(
        [sys.executable, "-c", _LOADER, str(path)],
        env=_hub_env(**env), capture_output=True, text=True, timeout=60, cwd=ROOT,
    )


def _hub_config(tmp_path: Path, **env: str) -> dict:
    result = _load_hub_config(JUPYTERHUB_DATA_DIR=str(tmp_path), **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _expand(scopes: list[str]) -> set[str]:
    from jupyterhub.scopes import scope_definitions

    expanded, todo = set(), list(scopes)
    while todo:
        scope = todo.pop()
        if scope not in expanded:
            expanded.add(scope)
            todo.extend(scope_definitions.get(scope, {}).get("subscopes", []))
    return expanded


def test_hub_config_refuses_to_load_without_an_authenticator(tmp_path):
    result = _load_hub_config(JUPYTERHUB_DATA_DIR=str(tmp_path))

    assert result.returncode != 0
    assert "no authenticator" in result.stderr
    assert "LMS_OAUTH_CLIENT_ID" in result.stderr
    assert "JUPYTERHUB_DEMO_AUTH=1" in result.stderr


def test_hub_config_refuses_an_oauth_client_without_its_secret(tmp_path):
    result = _load_hub_config(JUPYTERHUB_DATA_DIR=str(tmp_path), LMS_OAUTH_CLIENT_ID="hub")

    assert result.returncode != 0
    assert "LMS_OAUTH_CLIENT_SECRET is not" in result.stderr


def test_hub_config_demo_signs_in_anyone_and_runs_local_processes_on_loopback(tmp_path):
    config = _hub_config(tmp_path, JUPYTERHUB_DEMO_AUTH="1")

    assert config["JupyterHub"]["authenticator_class"] == "jupyterhub.auth.DummyAuthenticator"
    assert config["JupyterHub"]["spawner_class"] == "sandboxed_spawner.SandboxedLocalSpawner"
    assert config["JupyterHub"]["bind_url"].startswith("http://127.0.0.1:")
    assert config["JupyterHub"]["default_url"] == "/hub/home"
    assert config["Spawner"]["default_url"] == "/lab"
    assert config["JupyterHub"]["db_url"] == f"sqlite:///{tmp_path / 'jupyterhub.sqlite'}"
    home = config["SimpleLocalProcessSpawner"]["home_dir_template"]
    assert home == str(ROOT / "var" / "hub" / "home" / "{username}")
    # Learners' labs without nbgrader's instructor tools (installed beside the site).
    lab_config = Path(config["Spawner"]["environment"]["JUPYTER_CONFIG_PATH"])
    page = json.loads((lab_config / "labconfig" / "page_config.json").read_text())
    assert page["disabledExtensions"]["@jupyter/nbgrader"] is True
    server = json.loads((lab_config / "jupyter_server_config.d" / "aimd-learner.json")
                        .read_text())
    assert not any(server["ServerApp"]["jpserver_extensions"].values())


def test_hub_config_signs_in_with_the_lms(tmp_path):
    config = _hub_config(
        tmp_path, LMS_OAUTH_CLIENT_ID="aimd-hub", LMS_OAUTH_CLIENT_SECRET="s3cret-from-env",
        LMS_BASE_URL="https://lms.example.kr", LMS_INTERNAL_URL="http://web:8000",
        JUPYTERHUB_CRYPT_KEY="0" * 64,
    )
    oauth = config["GenericOAuthenticator"]

    assert config["JupyterHub"]["authenticator_class"] == (
        "oauthenticator.generic.GenericOAuthenticator"
    )
    assert oauth["client_id"] == "aimd-hub"
    assert oauth["authorize_url"] == "https://lms.example.kr/o/authorize/"
    assert oauth["token_url"] == "http://web:8000/o/token/"
    assert oauth["userdata_url"] == "http://web:8000/o/userinfo/"
    assert oauth["username_claim"] == "preferred_username"
    assert oauth["scope"] == ["openid", "profile", "email"]
    assert oauth["manage_groups"] is True
    assert oauth["allowed_groups"] == ["hub-users"]
    assert oauth["admin_groups"] == ["hub-admins"]
    assert oauth["allow_all"] is False
    assert config["Authenticator"]["enable_auth_state"] is True


def test_hub_config_without_a_crypt_key_keeps_no_auth_state(tmp_path):
    config = _hub_config(tmp_path, JUPYTERHUB_DEMO_AUTH="1")

    assert "enable_auth_state" not in config.get("Authenticator", {})


def test_lms_service_role_has_only_the_scopes_it_needs(tmp_path):
    from jupyterhub.scopes import scope_definitions

    config = _hub_config(tmp_path, JUPYTERHUB_DEMO_AUTH="1",
                         JUPYTERHUB_API_TOKEN="lms-token-from-env-0123456789")
    services = {s["name"]: s for s in config["JupyterHub"]["services"]}
    roles = [r for r in config["JupyterHub"]["load_roles"] if "lms" in r.get("services", [])]

    assert services["lms"]["api_token"] == "lms-token-from-env-0123456789"
    assert not services["lms"].get("admin")
    assert [r["name"] for r in roles] == ["lms-service"]
    scopes = roles[0]["scopes"]
    assert set(scopes) <= set(scope_definitions), "a scope JupyterHub does not define"
    assert not set(scopes) & LMS_ROLE_SCOPES_FORBIDDEN
    assert {"servers", "access:servers", "list:users", "read:users"} <= _expand(scopes)
    assert not _expand(scopes) & HUB_WIDE_SCOPES


def test_hub_config_without_lms_token_still_registers_the_service(tmp_path):
    config = _hub_config(tmp_path, JUPYTERHUB_DEMO_AUTH="1")
    lms = next(s for s in config["JupyterHub"]["services"] if s["name"] == "lms")

    assert "api_token" not in lms


def test_hub_config_culls_idle_servers_when_the_culler_is_installed(tmp_path):
    import importlib.util

    config = _hub_config(tmp_path, JUPYTERHUB_DEMO_AUTH="1", JUPYTERHUB_CULL_TIMEOUT="600")
    services = {s["name"]: s for s in config["JupyterHub"]["services"]}
    roles = {r["name"]: r for r in config["JupyterHub"]["load_roles"]}

    if importlib.util.find_spec("jupyterhub_idle_culler") is None:
        assert "idle-culler" not in services
        return
    assert "--timeout=600" in services["idle-culler"]["command"]
    assert set(roles["idle-culler"]["scopes"]) == {
        "list:users", "read:users:activity", "read:servers", "delete:servers"}


def test_hub_config_for_docker_compose_spawns_containers_with_limits(tmp_path):
    env = {"LMS_OAUTH_CLIENT_ID": "hub", "LMS_OAUTH_CLIENT_SECRET": "s3cret",
           "JUPYTERHUB_SPAWNER": "docker", "JUPYTERHUB_MEM_LIMIT": "1G",
           "JUPYTERHUB_CPU_LIMIT": "0.5"}

    config = _hub_config(tmp_path, **env)
    assert config["JupyterHub"]["spawner_class"] == "dockerspawner.DockerSpawner"
    assert config["JupyterHub"]["hub_connect_url"] == "http://hub:8081"
    assert config["DockerSpawner"]["mem_limit"] == "1G"
    assert config["DockerSpawner"]["cpu_limit"] == 0.5
    assert list(config["DockerSpawner"]["volumes"]) == ["aimd-lab-{username}"]


def test_hub_config_on_kubernetes_spawns_pods_with_limits(tmp_path):
    config = _hub_config(tmp_path, LMS_OAUTH_CLIENT_ID="hub", LMS_OAUTH_CLIENT_SECRET="s3cret",
                         JUPYTERHUB_SPAWNER="kubernetes", JUPYTERHUB_MEM_LIMIT="2G",
                         JUPYTERHUB_CPU_LIMIT="1.5",
                         JUPYTERHUB_SINGLEUSER_IMAGE="registry.example.kr/lab:1")

    assert config["JupyterHub"]["spawner_class"] == "kubespawner.KubeSpawner"
    assert config["KubeSpawner"]["image"] == "registry.example.kr/lab:1"
    assert config["KubeSpawner"]["mem_limit"] == "2G"
    assert config["KubeSpawner"]["cpu_limit"] == 1.5
    assert config["JupyterHub"]["hub_bind_url"] == "http://0.0.0.0:8081"
    assert config["JupyterHub"]["authenticator_class"] == (
        "oauthenticator.generic.GenericOAuthenticator")


def test_hub_config_rejects_an_unknown_spawner(tmp_path):
    result = _load_hub_config(JUPYTERHUB_DATA_DIR=str(tmp_path), JUPYTERHUB_DEMO_AUTH="1",
                              JUPYTERHUB_SPAWNER="ssh")

    assert result.returncode != 0
    assert "use local, docker or kubernetes" in result.stderr


def test_hub_config_never_uses_whitelist():
    assert "whitelist" not in HUB_CONFIG.read_text().lower()


# --- hub_config/values.yaml (Zero to JupyterHub) -------------------------------------------------


def test_helm_values_make_the_same_choices_as_the_hub_config(tmp_path):
    values = yaml.safe_load(HUB_VALUES.read_text())
    config = _hub_config(tmp_path, LMS_OAUTH_CLIENT_ID="x", LMS_OAUTH_CLIENT_SECRET="y")
    hub_oauth = values["hub"]["config"]["GenericOAuthenticator"]
    lms_role = next(r for r in config["JupyterHub"]["load_roles"] if r["name"] == "lms-service")

    assert values["hub"]["config"]["JupyterHub"]["authenticator_class"] == "generic-oauth"
    for key in ("username_claim", "scope", "manage_groups", "auth_state_groups_key",
                "allow_all"):
        assert hub_oauth[key] == config["GenericOAuthenticator"][key], key
    assert sorted(hub_oauth["allowed_groups"]) == config["GenericOAuthenticator"]["allowed_groups"]
    assert sorted(hub_oauth["admin_groups"]) == config["GenericOAuthenticator"]["admin_groups"]
    assert values["hub"]["loadRoles"]["lms-service"]["scopes"] == lms_role["scopes"]
    assert values["hub"]["loadRoles"]["lms-service"]["services"] == ["lms"]
    assert values["singleuser"]["defaultUrl"] == "/lab"
    assert values["singleuser"]["storage"]["type"] == "dynamic"
    assert values["cull"]["enabled"] is True


def test_helm_values_hold_no_secret():
    values = yaml.safe_load(HUB_VALUES.read_text())

    assert "client_secret" not in values["hub"]["config"]["GenericOAuthenticator"]
    assert "apiToken" not in values["hub"]["services"]["lms"]
    assert "secretToken" not in values.get("proxy", {})
    assert "cookieSecret" not in values["hub"]


# --- A real hub on loopback ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _descendants(pid: int) -> dict[int, str]:
    """{pid: command line} of the processes started (directly or not) by ``pid``."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    found, frontier = {}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                try:
                    found[child] = (Path("/proc") / str(child) / "cmdline").read_bytes()
                except OSError:
                    continue
                frontier.append(child)
    return {p: cmd.decode(errors="replace") for p, cmd in found.items()}


def _kill_if_same(pid: int, cmdline: str) -> None:
    try:
        if (Path("/proc") / str(pid) / "cmdline").read_bytes().decode(errors="replace") == cmdline:
            os.kill(pid, signal.SIGKILL)
    except (OSError, ProcessLookupError):
        pass


HUB_METRICS_TOKEN = "prometheus-token-for-this-test-0123456789"  # noqa: S105


@pytest.fixture
def running_hub(tmp_path):
    """The hub of hub_config/ in demo mode on free loopback ports, with an LMS token."""
    port, hub_port, proxy_port = _free_port(), _free_port(), _free_port()
    token = "lms-service-token-for-this-test-0123456789"
    env = _hub_env(
        JUPYTERHUB_DEMO_AUTH="1",
        JUPYTERHUB_API_TOKEN=token,
        JUPYTERHUB_METRICS_TOKEN=HUB_METRICS_TOKEN,
        JUPYTERHUB_DATA_DIR=str(tmp_path / "hub"),
        JUPYTERHUB_LOCAL_HOME=str(tmp_path / "home" / "{username}"),
        JUPYTERHUB_BIND_URL=f"http://127.0.0.1:{port}",
        JUPYTERHUB_HUB_BIND_URL=f"http://127.0.0.1:{hub_port}",
        JUPYTERHUB_PROXY_API_URL=f"http://127.0.0.1:{proxy_port}",
        # JupyterHub 6.1 waits for a managed culler that ignores SIGINT when shutting down.
        JUPYTERHUB_CULL_TIMEOUT="0",
    )
    log = (tmp_path / "hub.log").open("w")
    hub = subprocess.Popen(
        [str(Path(sys.executable).with_name("jupyterhub")), "-f", str(HUB_CONFIG)],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert hub.poll() is None, (tmp_path / "hub.log").read_text()
            try:
                if httpx.get(f"{url}/hub/api/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "hub.log").read_text()
            time.sleep(0.3)
        yield url, token, tmp_path
    finally:
        children = _descendants(hub.pid)
        hub.send_signal(signal.SIGTERM)
        try:
            hub.wait(timeout=20)
        except subprocess.TimeoutExpired:
            hub.kill()
            hub.wait(timeout=10)
        for pid, cmdline in children.items():
            _kill_if_same(pid, cmdline)
        log.close()


def test_hub_starts_and_the_lms_token_can_open_a_lab_but_not_run_the_hub(running_hub):
    url, token, tmp_path = running_hub
    api = httpx.Client(base_url=url, headers={"Authorization": f"token {token}"}, timeout=30)

    assert httpx.get(f"{url}/hub/health", timeout=5).status_code == 200
    whoami = api.get("/hub/api/user").json()
    assert whoami["kind"] == "service"
    assert whoami["name"] == "lms"
    assert not set(whoami["scopes"]) & HUB_WIDE_SCOPES
    assert api.post("/hub/api/shutdown").status_code == 403

    assert api.post("/hub/api/users/learner1").status_code == 201
    assert api.post("/hub/api/users/learner1/server").status_code in {201, 202}
    deadline = time.monotonic() + 60
    while not api.get("/hub/api/users/learner1").json()["servers"].get("", {}).get("ready"):
        assert time.monotonic() < deadline, (tmp_path / "hub.log").read_text()
        time.sleep(0.5)
    put = api.put("/user/learner1/api/contents/released.txt",
                  json={"type": "file", "format": "text", "content": "assignment"})
    assert put.status_code == 201, put.text
    assert (tmp_path / "home" / "learner1" / "released.txt").read_text() == "assignment"
    assert api.delete("/hub/api/users/learner1/server").status_code in {202, 204}


def test_prometheus_reads_the_hubs_metrics_with_its_token_and_nothing_else(running_hub):
    url, lms_token, _tmp_path = running_hub
    prometheus = httpx.Client(base_url=url, timeout=30,
                              headers={"Authorization": f"Bearer {HUB_METRICS_TOKEN}"})

    metrics = prometheus.get("/hub/metrics")
    assert metrics.status_code == 200
    assert httpx.get(f"{url}/hub/metrics", timeout=10).status_code == 403  # no token
    whoami = prometheus.get("/hub/api/user").json()
    assert (whoami["kind"], whoami["name"]) == ("service", "prometheus")
    assert set(whoami["scopes"]) <= {"read:metrics", "access:services!service=prometheus"}
    assert prometheus.get("/hub/api/users").status_code == 403
    # Every hub figure the alert rules and the dashboard use, the hub serves.
    served = _exposed_names(metrics.text)
    used = {n for n in _names_used() if n.startswith("jupyterhub_")}
    assert used, "the dashboard shows no hub figure"
    assert used <= served, sorted(used - served)


# --- deploy/: Prometheus, its alert rules, Grafana ------------------------------------------------

DEPLOY = ROOT / "deploy"
PROMETHEUS_CONFIG = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
RULE_FILES = sorted((DEPLOY / "prometheus" / "rules").glob("*.yml"))
DASHBOARDS = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
                "unless", "bool", "offset", "inf", "nan"}


def _jobs() -> dict[str, dict]:
    return {job["job_name"]: job for job in PROMETHEUS_CONFIG["scrape_configs"]}


def _rules() -> list[dict]:
    return [rule for path in RULE_FILES for group in yaml.safe_load(path.read_text())["groups"]
            for rule in group["rules"]]


def _dashboard_exprs() -> list[str]:
    return [target["expr"] for path in DASHBOARDS
            for panel in json.loads(path.read_text())["panels"]
            for target in panel.get("targets", [])]


def _promql_names(expr: str) -> set[str]:
    """The metric names of a PromQL expression: what is left once strings, label matchers,
    ranges, grouping clauses, functions, keywords and numbers are taken out."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}", " ", expr)
    expr = re.sub(r"\[[^\]]*\]", " ", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    expr = re.sub(r"\$\w+", " ", expr)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", expr):
        following = expr[match.end():].lstrip()[:1]
        if following != "(" and match.group().lower() not in PROMQL_WORDS:
            names.add(match.group())
    return names


def _names_used() -> set[str]:
    return {name for expr in [r["expr"] for r in _rules()] + _dashboard_exprs()
            for name in _promql_names(expr)}


def _exposed_names(text: str) -> set[str]:
    from prometheus_client.parser import text_string_to_metric_families

    return {sample.name for family in text_string_to_metric_families(text)
            for sample in family.samples} | {
        family.name for family in text_string_to_metric_families(text)}


def test_the_promql_reader_finds_metric_names():
    assert _promql_names('histogram_quantile(0.95, sum by (le, view) (rate('
                         'django_x_bucket{view=~"a|b", method="GET"}[5m]))) > 1') == {
        "django_x_bucket"}
    assert _promql_names('absent(up{job="w"} == 1) or sum(aimd_a) < 1') == {"up", "aimd_a"}


def test_prometheus_scrapes_the_site_the_workers_and_the_hub():
    jobs = _jobs()
    site, worker, hub = jobs["lms-site"], jobs["lms-worker"], jobs["jupyterhub"]
    secrets = COMPOSE["secrets"]

    assert site["metrics_path"] == "/metrics"
    assert site["dns_sd_configs"][0]["names"] == ["web"]
    assert str(site["dns_sd_configs"][0]["port"]) == _argv(SERVICES["web"])[
        _argv(SERVICES["web"]).index("--bind") + 1].rsplit(":", 1)[1]
    assert worker["dns_sd_configs"][0]["names"] == ["worker"]
    assert str(worker["dns_sd_configs"][0]["port"]) == _environment(
        SERVICES["worker"])["GRADING_METRICS_PORT"]
    assert hub["metrics_path"] == "/hub/metrics"
    assert hub["static_configs"][0]["targets"] == ["hub:8000"]
    # The tokens come from compose secrets read from the environment, never from this file.
    for job, variable in ((site, "HEALTH_CHECK_TOKEN"), (hub, "JUPYTERHUB_METRICS_TOKEN")):
        authorization = job["authorization"]
        assert authorization["type"] == "Bearer"
        assert "credentials" not in authorization
        secret = authorization["credentials_file"].removeprefix("/run/secrets/")
        assert secrets[secret] == {"environment": variable}
        assert secret in SERVICES["prometheus"]["secrets"]
    assert "HEALTH_CHECK_TOKEN" in COMPOSE["x-lms-env"]
    assert "JUPYTERHUB_METRICS_TOKEN" in _environment(SERVICES["hub"])
    # The rule files it loads are the ones shipped.
    assert PROMETHEUS_CONFIG["rule_files"] == ["/etc/prometheus/rules/*.yml"]
    assert "./deploy/prometheus:/etc/prometheus:ro" in SERVICES["prometheus"]["volumes"]
    assert RULE_FILES


def test_the_site_and_the_worker_add_up_their_processes_figures_apart():
    web, worker = _environment(SERVICES["web"]), _environment(SERVICES["worker"])

    assert web["PROMETHEUS_MULTIPROC_DIR"] != worker["PROMETHEUS_MULTIPROC_DIR"]
    assert worker["GRADING_METRICS_ADDRESS"] == "0.0.0.0"  # noqa: S104 - compose's network
    assert "ports" not in SERVICES["worker"]  # the worker's figures stay inside compose
    # gunicorn reads gunicorn.conf.py from its working directory, the image's /app.
    assert (ROOT / "gunicorn.conf.py").is_file()
    assert re.search(r"^WORKDIR /app$", DOCKERFILE.read_text(), re.MULTILINE)


def test_monitoring_listens_on_loopback_and_grafana_needs_its_password():
    for name in ("prometheus", "grafana"):
        assert all(str(port).startswith("127.0.0.1:") for port in SERVICES[name]["ports"]), name
    grafana = _environment(SERVICES["grafana"])
    assert grafana["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_ADMIN_PASSWORD:?")
    assert grafana["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert grafana["GF_USERS_ALLOW_SIGN_UP"] == "false"


def test_alert_rules_are_well_formed():
    rules = _rules()
    alerts = {rule["alert"] for rule in rules}

    assert {"LmsSiteDown", "GradingQueueOldestMessageTooOld", "GradingWorkersAbsent",
            "GradingErrorGradesRising"} <= alerts
    assert len(alerts) == len(rules), "two rules share a name"
    for rule in rules:
        expr = rule["expr"]
        assert expr.count("(") == expr.count(")"), expr
        assert expr.count("{") == expr.count("}"), expr
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning"}
        assert rule["annotations"]["summary"]


def test_grafana_provisions_the_dashboard_from_prometheus():
    datasources = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text())
    providers = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "dashboards" / "aimd-lms.yml").read_text())
    source = datasources["datasources"][0]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in SERVICES["grafana"]["volumes"]
              if v.startswith("./")}

    assert source["url"] == "http://prometheus:9090"
    path = providers["providers"][0]["options"]["path"]
    assert (ROOT / mounts[path]).resolve() == (DEPLOY / "grafana" / "dashboards").resolve()
    assert DASHBOARDS
    for dashboard_file in DASHBOARDS:
        dashboard = json.loads(dashboard_file.read_text())
        assert dashboard["timezone"] == "Asia/Seoul"
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(ids) == len(set(ids))
        for panel in dashboard["panels"]:
            if panel["type"] != "row":
                assert panel["datasource"]["uid"] == source["uid"], panel["title"]
                assert panel["targets"], panel["title"]


@pytest.mark.django_db
def test_every_figure_the_rules_and_the_dashboard_use_is_served(client, settings):
    from grading import metrics as _grading_metrics  # noqa: F401 - the worker's figures

    settings.HEALTH_CHECK_TOKEN = "a-token-for-this-test"  # noqa: S105
    client.get("/healthz")  # a request and its queries, so their series exist
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer a-token-for-this-test")
    assert response.status_code == 200
    served = _exposed_names(response.content.decode()) | {"up"}  # `up`: Prometheus's own

    used = {n for n in _names_used() if not n.startswith("jupyterhub_")}

    assert {"aimd_task_queue_oldest_message_age_seconds", "aimd_grading_phase_seconds_bucket",
            "django_http_requests_latency_seconds_by_view_method_bucket"} <= used
    assert used <= served, sorted(used - served)
