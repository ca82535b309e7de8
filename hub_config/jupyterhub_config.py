# Configuration file for the LMS's JupyterHub.
#
#     jupyterhub -f hub_config/jupyterhub_config.py
#
# Every value comes from the environment (see .env.example); no secret is written here.
# With nothing set but JUPYTERHUB_DEMO_AUTH=1 this runs the demo: learners' JupyterLabs as local
# processes on 127.0.0.1, any user name accepted. Anywhere else learners sign in with the LMS
# (OAuth2/OIDC, oauthenticator's GenericOAuthenticator) and the hub refuses to start without it.
# Kubernetes deployments use Zero to JupyterHub with hub_config/values.yaml instead of this file.

import importlib.util
import logging
import os
import sys
from pathlib import Path

c = get_config()

log = logging.getLogger("JupyterHub")
ROOT = Path(__file__).resolve().parent.parent
SPAWNER = os.environ.get("JUPYTERHUB_SPAWNER", "local")
BIN = Path(sys.executable).parent


def config_error(message):
    # SystemExit rather than an exception: JupyterHub prints the one line and stops.
    raise SystemExit(f"hub_config/jupyterhub_config.py: {message}")


# --- State: the hub's database and cookie secret --------------------------------------------
# JPY_COOKIE_SECRET, when set, takes precedence over the file.
DATA_DIR = Path(os.environ.get("JUPYTERHUB_DATA_DIR") or ROOT / "var" / "hub")
DATA_DIR.mkdir(parents=True, exist_ok=True)
c.JupyterHub.cookie_secret_file = str(DATA_DIR / "jupyterhub_cookie_secret")
c.JupyterHub.db_url = os.environ.get(
    "JUPYTERHUB_DB_URL", f"sqlite:///{DATA_DIR / 'jupyterhub.sqlite'}"
)

# --- Network ---------------------------------------------------------------------------------
# The public port is 8001 so that the hub and the site (8000) can share one machine.
c.JupyterHub.bind_url = os.environ.get("JUPYTERHUB_BIND_URL", "http://127.0.0.1:8001")
if os.environ.get("JUPYTERHUB_PUBLIC_URL"):
    c.JupyterHub.public_url = os.environ["JUPYTERHUB_PUBLIC_URL"]
# Learners' servers in containers or pods reach the hub's API over the network; local
# processes reach it on loopback.
c.JupyterHub.hub_bind_url = os.environ.get(
    "JUPYTERHUB_HUB_BIND_URL",
    "http://127.0.0.1:8081" if SPAWNER == "local" else "http://0.0.0.0:8081",
)
if os.environ.get("JUPYTERHUB_HUB_CONNECT_URL"):
    c.JupyterHub.hub_connect_url = os.environ["JUPYTERHUB_HUB_CONNECT_URL"]
elif SPAWNER == "docker":
    c.JupyterHub.hub_connect_url = "http://hub:8081"
c.JupyterHub.default_url = "/hub/home"
# Our pages first (a refusal says why: not enrolled in a run in progress), then the hub's.
c.JupyterHub.template_paths = [str(ROOT / "hub_config" / "templates")]

# --- Proxy: the Python configurable-http-proxy, started by the hub ---------------------------
# Run with this Python (so `.venv/bin/jupyterhub` works without an activated venv) through
# hub_config/proxy.py, which answers browsers' WebSocket subprotocols (kernels connect at the
# first try instead of failing the handshake and reconnecting) and passes answers on as they
# come (the start pages follow the hub's progress event stream).
c.ConfigurableHTTPProxy.command = [sys.executable, str(ROOT / "hub_config" / "proxy.py")]
c.ConfigurableHTTPProxy.api_url = os.environ.get(
    "JUPYTERHUB_PROXY_API_URL", "http://127.0.0.1:8002"
)
if os.environ.get("CONFIGPROXY_AUTH_TOKEN"):
    c.ConfigurableHTTPProxy.auth_token = os.environ["CONFIGPROXY_AUTH_TOKEN"]

# --- Authentication: the LMS is the OAuth2/OIDC provider -------------------------------------
# The browser is sent to LMS_BASE_URL; the hub itself fetches tokens and user info at
# LMS_INTERNAL_URL (e.g. http://web:8000 inside docker compose), which defaults to the same.
LMS_BASE_URL = os.environ.get("LMS_BASE_URL", "http://localhost:8000").rstrip("/")
LMS_INTERNAL_URL = os.environ.get("LMS_INTERNAL_URL", LMS_BASE_URL).rstrip("/")
c.JupyterHub.template_vars = {"lms_base_url": LMS_BASE_URL}

if os.environ.get("LMS_OAUTH_CLIENT_ID"):
    if not os.environ.get("LMS_OAUTH_CLIENT_SECRET"):
        config_error("LMS_OAUTH_CLIENT_ID is set but LMS_OAUTH_CLIENT_SECRET is not.")
    c.JupyterHub.authenticator_class = "oauthenticator.generic.GenericOAuthenticator"
    c.GenericOAuthenticator.client_id = os.environ["LMS_OAUTH_CLIENT_ID"]
    c.GenericOAuthenticator.client_secret = os.environ["LMS_OAUTH_CLIENT_SECRET"]
    c.GenericOAuthenticator.login_service = os.environ.get("LMS_LOGIN_SERVICE", "AI Micro-degree")
    c.GenericOAuthenticator.authorize_url = f"{LMS_BASE_URL}/o/authorize/"
    c.GenericOAuthenticator.token_url = f"{LMS_INTERNAL_URL}/o/token/"
    c.GenericOAuthenticator.userdata_url = f"{LMS_INTERNAL_URL}/o/userinfo/"
    c.GenericOAuthenticator.logout_redirect_url = f"{LMS_BASE_URL}/"
    c.GenericOAuthenticator.username_claim = "preferred_username"
    c.GenericOAuthenticator.scope = ["openid", "profile", "email"]
    if os.environ.get("JUPYTERHUB_OAUTH_CALLBACK_URL"):
        c.GenericOAuthenticator.oauth_callback_url = os.environ["JUPYTERHUB_OAUTH_CALLBACK_URL"]
    elif os.environ.get("JUPYTERHUB_PUBLIC_URL"):
        c.GenericOAuthenticator.oauth_callback_url = (
            os.environ["JUPYTERHUB_PUBLIC_URL"].rstrip("/") + "/hub/oauth_callback"
        )
    # Who may use the hub is decided in the LMS: its userinfo answer carries a `groups` claim,
    # which oauthenticator keeps under auth_state["oauth_user"].
    c.GenericOAuthenticator.manage_groups = True
    c.GenericOAuthenticator.auth_state_groups_key = "oauth_user.groups"
    c.GenericOAuthenticator.allowed_groups = set(
        os.environ.get("JUPYTERHUB_ALLOWED_GROUPS", "hub-users").split(",")
    )
    c.GenericOAuthenticator.admin_groups = set(
        os.environ.get("JUPYTERHUB_ADMIN_GROUPS", "hub-admins").split(",")
    )
    c.GenericOAuthenticator.allow_all = False
    # One login: the hub's login page goes straight to the LMS.
    c.Authenticator.auto_login = True
elif os.environ.get("JUPYTERHUB_DEMO_AUTH") == "1":
    # Any user name, no password: for the demo on loopback only.
    c.JupyterHub.authenticator_class = "jupyterhub.auth.DummyAuthenticator"
    log.warning("JUPYTERHUB_DEMO_AUTH=1: anyone can sign in with any name (demo only).")
else:
    config_error(
        "no authenticator. Set LMS_OAUTH_CLIENT_ID and LMS_OAUTH_CLIENT_SECRET (the hub's OAuth "
        "client in the LMS), or JUPYTERHUB_DEMO_AUTH=1 for the demo on a single machine."
    )

# Tokens kept in auth_state are encrypted with JUPYTERHUB_CRYPT_KEY (read by JupyterHub).
if os.environ.get("JUPYTERHUB_CRYPT_KEY"):
    c.Authenticator.enable_auth_state = True

# --- Learners' servers -----------------------------------------------------------------------
SINGLEUSER_IMAGE = os.environ.get(
    "JUPYTERHUB_SINGLEUSER_IMAGE", "quay.io/jupyter/scipy-notebook:2025-03-14"
)
MEM_LIMIT = os.environ.get("JUPYTERHUB_MEM_LIMIT", "2G")
CPU_LIMIT = float(os.environ.get("JUPYTERHUB_CPU_LIMIT", "1.0"))

c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = int(os.environ.get("JUPYTERHUB_START_TIMEOUT", "120"))
c.Spawner.http_timeout = 60
# The site's "start the server" is answered at once (202, still starting) instead of being held
# up to 10 s for the spawn: the site shows the start's progress itself, and a request held as
# long as the site's own timeout to the hub (JUPYTERHUB_TIMEOUT) failed on a busy machine.
c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 0}
# Visible to learners' code: never put a secret here.
c.Spawner.environment = {"TZ": "Asia/Seoul", "LMS_BASE_URL": LMS_BASE_URL}

if SPAWNER == "local":
    # The demo on one machine: each lab in a bubblewrap sandbox that sees its own home, the
    # system and the Python environment read-only, and nothing else of the project (not the
    # site's secrets, database, sources or other labs): hub_config/sandboxed_spawner.py.
    sys.path.insert(0, str(ROOT / "hub_config"))
    c.JupyterHub.spawner_class = "sandboxed_spawner.SandboxedLocalSpawner"
    home = Path(os.environ.get("JUPYTERHUB_LOCAL_HOME", "var/hub/home/{username}"))
    c.SimpleLocalProcessSpawner.home_dir_template = str(home if home.is_absolute() else ROOT / home)
    c.SandboxedLocalSpawner.project_dir = str(ROOT)
    c.SandboxedLocalSpawner.shown_paths = [str(ROOT / "hub_config" / "lab"),
                                           str(ROOT / "aimd_grading.py")]
    # Learners' labs: nbgrader's instructor tools (it is installed beside the site) and
    # JupyterLab's news pop-up are off; grading happens on the site.
    c.Spawner.environment["JUPYTER_CONFIG_PATH"] = str(ROOT / "hub_config" / "lab")
    singleuser = BIN / "jupyterhub-singleuser"
    if singleuser.exists():
        c.Spawner.cmd = [str(singleuser)]
elif SPAWNER == "docker":
    if importlib.util.find_spec("dockerspawner") is None:
        config_error("JUPYTERHUB_SPAWNER=docker needs the dockerspawner package installed.")
    c.JupyterHub.spawner_class = "dockerspawner.DockerSpawner"
    c.DockerSpawner.image = SINGLEUSER_IMAGE
    c.DockerSpawner.network_name = os.environ.get("JUPYTERHUB_DOCKER_NETWORK", "aimd-lms-labs")
    c.DockerSpawner.use_internal_ip = True
    c.DockerSpawner.remove = True
    c.DockerSpawner.notebook_dir = "/home/jovyan/work"
    # One named volume per learner: the container goes, the work stays.
    c.DockerSpawner.volumes = {"aimd-lab-{username}": "/home/jovyan/work"}
    c.DockerSpawner.mem_limit = MEM_LIMIT
    c.DockerSpawner.cpu_limit = CPU_LIMIT
elif SPAWNER == "kubernetes":
    # A hub run by hand in a cluster; Zero to JupyterHub (values.yaml) configures the rest.
    if importlib.util.find_spec("kubespawner") is None:
        config_error("JUPYTERHUB_SPAWNER=kubernetes needs the jupyterhub-kubespawner package.")
    c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
    c.KubeSpawner.image = SINGLEUSER_IMAGE
    c.KubeSpawner.mem_limit = MEM_LIMIT
    c.KubeSpawner.cpu_limit = CPU_LIMIT
else:
    config_error(f"JUPYTERHUB_SPAWNER={SPAWNER!r}: use local, docker or kubernetes.")

# --- The LMS as a service, with only the scopes it uses --------------------------------------
# It creates a learner's hub user before their first visit (admin:users), starts and stops
# servers (servers), and reads and writes notebooks through the contents API (access:servers).
# admin:users implies admin:auth_state; that state only holds tokens the LMS itself issued.
lms_service = {"name": "lms"}
if os.environ.get("JUPYTERHUB_API_TOKEN"):
    lms_service["api_token"] = os.environ["JUPYTERHUB_API_TOKEN"]
else:
    log.warning("JUPYTERHUB_API_TOKEN is not set: the LMS cannot use the hub's API.")
c.JupyterHub.services = [lms_service]
c.JupyterHub.load_roles = [
    {
        "name": "lms-service",
        "description": "What the LMS needs to open learners' labs and collect submissions.",
        "scopes": ["admin:users", "servers", "access:servers", "read:users", "list:users"],
        "services": ["lms"],
    },
]

# --- Prometheus reads the hub's own /hub/metrics with a token of its own ------------------------
# The hub's figures (servers running, spawn times, active users) need the read:metrics scope;
# Prometheus presents JUPYTERHUB_METRICS_TOKEN (deploy/prometheus/prometheus.yml), which
# grants nothing else.
c.JupyterHub.authenticate_prometheus = True
if os.environ.get("JUPYTERHUB_METRICS_TOKEN"):
    c.JupyterHub.services.append(
        {"name": "prometheus", "api_token": os.environ["JUPYTERHUB_METRICS_TOKEN"]})
    c.JupyterHub.load_roles.append(
        {
            "name": "metrics",
            "description": "Read the hub's Prometheus metrics.",
            "scopes": ["read:metrics"],
            "services": ["prometheus"],
        }
    )

# --- Idle culler: stop servers unused for JUPYTERHUB_CULL_TIMEOUT seconds (0: never) ----------
CULL_TIMEOUT = int(os.environ.get("JUPYTERHUB_CULL_TIMEOUT", "3600"))
if CULL_TIMEOUT <= 0:
    log.info("JUPYTERHUB_CULL_TIMEOUT=%s: idle servers are not stopped.", CULL_TIMEOUT)
elif importlib.util.find_spec("jupyterhub_idle_culler") is not None:
    c.JupyterHub.services.append(
        {
            "name": "idle-culler",
            "command": [
                sys.executable,
                "-m",
                "jupyterhub_idle_culler",
                f"--timeout={CULL_TIMEOUT}",
                f"--cull-every={int(os.environ.get('JUPYTERHUB_CULL_EVERY', '300'))}",
            ],
        }
    )
    c.JupyterHub.load_roles.append(
        {
            "name": "idle-culler",
            "description": "Stop idle servers.",
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
            "services": ["idle-culler"],
        }
    )
else:
    log.info("jupyterhub-idle-culler is not installed: idle servers are not stopped.")
