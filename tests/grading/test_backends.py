"""The sandbox backends behind one interface: what Docker and Kubernetes would run.

No Docker engine or cluster is needed: the argv and manifests are checked field by field,
and each sandbox class is driven through a fake ``docker``/``kubectl`` that records its
arguments and runs the real runner (``grading/autograder/sandbox/runner.py``), so the protocol, the
data-file copy and the Kubernetes start gate are exercised for real.
"""

import json
import select
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from grading.autograder.sandbox import docker as docker_backend
from grading.autograder.sandbox import kubernetes as k8s
from grading.autograder.sandbox.base import (
    BACKENDS,
    Limits,
    Sandbox,
    SandboxUnavailable,
    create_sandbox,
    sandbox_class,
)
from grading.autograder.sandbox.docker import DockerSandbox, docker_command
from grading.autograder.sandbox.kubernetes import (
    KubernetesSandbox,
    job_manifest,
    network_policy_manifest,
)
from grading.autograder.sandbox.local import RUNNER, LocalSandbox

LIMITS = Limits(cpu_seconds=30, memory_bytes=512 * 1024 * 1024, file_bytes=8 * 1024 * 1024,
                open_files=64)
CELL = {"kind": "cell", "code": "1+1", "nonce": "n1", "timeout": 5}


def plan(*steps: dict) -> dict:
    """The runner's one command: every cell of the notebook, sent before any runs."""
    return {"op": "plan", "steps": list(steps)}


def pairs(argv: list[str]) -> set[tuple[str, str]]:
    return set(zip(argv, argv[1:], strict=False))


def values(argv: list[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == flag]


# --- registry -------------------------------------------------------------------------------

def test_registry_names_each_backend():
    assert sandbox_class("local") is LocalSandbox
    assert sandbox_class("docker") is DockerSandbox
    assert sandbox_class("kubernetes") is KubernetesSandbox
    assert BACKENDS == ("local", "docker", "kubernetes")


def test_registry_refuses_unknown_backend():
    with pytest.raises(ValueError, match="local, docker, kubernetes"):
        sandbox_class("firecracker")


# --- Docker ---------------------------------------------------------------------------------

@pytest.fixture
def argv(tmp_path):
    return docker_command(image="aimd-lms:test", workdir=tmp_path, limits=LIMITS,
                          preload=("numpy", "pandas"), name="aimd-grade-x", cpus=1.5,
                          pids_limit=100)


def test_docker_argv_isolation_flags(argv):
    assert argv[:2] == ["docker", "run"]
    for flag in ("--rm", "-i", "--read-only"):
        assert flag in argv
    for pair in [("--name", "aimd-grade-x"), ("--network", "none"),
                 ("--user", "65534:65534"), ("--cap-drop", "ALL"),
                 ("--security-opt", "no-new-privileges"), ("--pids-limit", "100"),
                 ("--pull", "never"), ("--workdir", "/home/grader")]:
        assert pair in pairs(argv), pair
    assert values(argv, "--tmpfs") == ["/tmp:rw,noexec,nosuid,size=64m"]  # noqa: S108
    assert "-t" not in argv
    assert "--tty" not in argv


def test_docker_argv_converts_limits(argv):
    assert ("--memory", str(512 * 1024 * 1024)) in pairs(argv)
    assert ("--memory-swap", str(512 * 1024 * 1024)) in pairs(argv)  # no swap on top
    assert ("--cpus", "1.5") in pairs(argv)
    assert sorted(values(argv, "--ulimit")) == sorted([
        "cpu=30:31", f"fsize={8 * 1024 * 1024}:{8 * 1024 * 1024}", "nofile=64:64",
        "core=0:0"])


def test_docker_argv_runs_runner_from_the_image(argv):
    image = argv.index("aimd-lms:test")
    assert argv[image + 1:] == ["python", "-I", docker_backend.IMAGE_RUNNER, "numpy,pandas"]
    assert docker_backend.IMAGE_RUNNER.endswith("/site-packages/grading/autograder/sandbox/runner.py")


def test_docker_argv_grants_nothing_of_the_host(argv, tmp_path):
    for forbidden in ("--privileged", "--env-file", "--ipc", "--pid", "--device", "--cap-add",
                      "--userns", "--volumes-from"):
        assert not any(arg == forbidden or arg.startswith(forbidden + "=") for arg in argv)
    assert "host" not in values(argv, "--network")
    assert "--net=host" not in argv
    # Only explicit NAME=value variables, none taken from the worker's environment.
    env = values(argv, "--env") + values(argv, "-e")
    assert env
    assert all("=" in item for item in env)
    assert {item.split("=", 1)[0] for item in env} == set(docker_backend.SANDBOX_ENV)
    assert not any(key in {item.split("=", 1)[0] for item in env}
                   for key in ("DJANGO_SECRET_KEY", "DATABASE_URL", "PATH"))
    # Exactly one mount: the work directory.
    mounts = values(argv, "-v") + values(argv, "--volume") + values(argv, "--mount")
    assert mounts == [f"{tmp_path}:/home/grader:rw"]
    assert not any("docker.sock" in arg for arg in argv)


def test_docker_sandbox_without_docker(monkeypatch):
    with pytest.raises(SandboxUnavailable, match="docker"):
        DockerSandbox(docker="/nonexistent/docker")
    monkeypatch.setattr("shutil.which", lambda *args, **kwargs: None)
    with pytest.raises(SandboxUnavailable, match="not installed"):
        create_sandbox("docker", limits=LIMITS)


def _executable(path: Path, body: str) -> Path:
    path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
    path.chmod(0o755)
    return path


@pytest.fixture
def fake_docker(tmp_path):
    """``docker``: logs its argv; ``run`` becomes the runner in the mounted work directory."""
    return _executable(tmp_path / "docker", f"""
        import json, os, sys
        with open({str(tmp_path / "docker.log")!r}, "a") as log:
            log.write(json.dumps(sys.argv[1:]) + "\\n")
        if sys.argv[1] == "run":
            mount = sys.argv[sys.argv.index("-v") + 1]
            os.chdir(mount.split(":")[0])
            os.execv(sys.executable, [sys.executable, "-I", {str(RUNNER)!r}, sys.argv[-1]])
    """)


def test_docker_sandbox_speaks_the_protocol(fake_docker, tmp_path):
    sandbox = DockerSandbox(limits=LIMITS, image="aimd-lms:test", docker=str(fake_docker))
    assert isinstance(sandbox, Sandbox)
    workdir = sandbox.workdir
    try:
        (workdir / "data.txt").write_text("hello")  # the engine's data files
        assert sandbox.wait_ready(timeout=10)
        sandbox.send(plan(CELL, {"kind": "test", "code": "open('data.txt').read()",
                                 "nonce": "n2", "timeout": 5}))
        reply = sandbox.receive(timeout=10)
        assert reply["nonce"] == "n1"
        assert reply["status"] == "ok"
        reply = sandbox.receive(timeout=10)
        assert (reply["nonce"], reply["status"], reply["value"]) == ("n2", "ok", "'hello'")
    finally:
        sandbox.kill()
    assert not workdir.exists()
    calls = [json.loads(line) for line in (tmp_path / "docker.log").read_text().splitlines()]
    assert calls[0] == sandbox.command[1:]
    assert ("--network", "none") in pairs(calls[0])
    assert calls[1] == ["kill", sandbox.name]


# --- Kubernetes -----------------------------------------------------------------------------

@pytest.fixture
def job():
    return job_manifest(name="aimd-grade-x", namespace="grading", image="aimd-lms:test",
                        limits=LIMITS, preload=("numpy",), storage_bytes=256 * 1024 * 1024)


def test_job_manifest_is_restrictive(job):
    assert (job["apiVersion"], job["kind"]) == ("batch/v1", "Job")
    assert job["metadata"]["namespace"] == "grading"
    spec = job["spec"]
    assert spec["backoffLimit"] == 0
    assert spec["ttlSecondsAfterFinished"] > 0
    assert spec["activeDeadlineSeconds"] > 0
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["automountServiceAccountToken"] is False
    assert pod["enableServiceLinks"] is False
    assert pod["hostNetwork"] is False
    assert pod["hostPID"] is False
    assert pod["hostIPC"] is False
    assert pod["securityContext"] == {
        "runAsNonRoot": True, "runAsUser": 65534, "runAsGroup": 65534, "fsGroup": 65534,
        "seccompProfile": {"type": "RuntimeDefault"}}
    [container] = pod["containers"]
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security["privileged"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert (container["stdin"], container["stdinOnce"], container["tty"]) == (True, True, False)
    assert "envFrom" not in container
    assert {item["name"] for item in container["env"]} == set(docker_backend.SANDBOX_ENV)


def test_job_manifest_resources_and_volumes(job):
    pod = job["spec"]["template"]["spec"]
    [container] = pod["containers"]
    resources = container["resources"]
    assert resources["requests"] == resources["limits"]
    assert resources["limits"]["memory"] == str(512 * 1024 * 1024)
    assert resources["limits"]["cpu"] == "1"
    assert resources["limits"]["ephemeral-storage"] == str((256 + 64) * 1024 * 1024)
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert volumes["work"]["emptyDir"]["sizeLimit"] == str(256 * 1024 * 1024)
    assert "sizeLimit" in volumes["tmp"]["emptyDir"]
    assert all(set(volume) == {"name", "emptyDir"} for volume in pod["volumes"])  # no hostPath
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    assert mounts == {"/home/grader": "work", "/tmp": "tmp"}  # noqa: S108
    # The gate sets the local backend's rlimits, then becomes the image's runner.
    assert container["command"][:3] == ["python", "-I", "-c"]
    assert container["command"][4:] == ["30", str(8 * 1024 * 1024), "64",
                                        docker_backend.IMAGE_RUNNER, "numpy"]


def test_network_policy_denies_all_for_the_job_pods(job):
    policy = network_policy_manifest(namespace="grading")
    assert (policy["apiVersion"], policy["kind"]) == ("networking.k8s.io/v1", "NetworkPolicy")
    assert policy["metadata"]["namespace"] == "grading"
    spec = policy["spec"]
    assert sorted(spec["policyTypes"]) == ["Egress", "Ingress"]
    assert "ingress" not in spec
    assert "egress" not in spec
    labels = job["spec"]["template"]["metadata"]["labels"]
    selector = spec["podSelector"]["matchLabels"]
    assert selector
    assert selector.items() <= labels.items()
    assert labels["app.kubernetes.io/name"] == "aimd-grader"
    assert labels[k8s.SANDBOX_LABEL] == "aimd-grade-x"


def test_manifests_dump_as_yaml(job):
    for manifest in (job, network_policy_manifest(namespace="grading")):
        assert yaml.safe_load(yaml.safe_dump(manifest)) == manifest


def test_kubernetes_sandbox_without_kubectl(monkeypatch):
    with pytest.raises(SandboxUnavailable, match="kubectl"):
        KubernetesSandbox(kubectl="/nonexistent/kubectl")
    monkeypatch.setattr("shutil.which", lambda *args, **kwargs: None)
    with pytest.raises(SandboxUnavailable, match="not installed"):
        create_sandbox("kubernetes")


def test_kubernetes_sandbox_refused_job(tmp_path):
    """A refused ``apply`` is an unavailable sandbox, and what it may have created goes."""
    log = tmp_path / "calls.log"
    kubectl = _executable(tmp_path / "kubectl", f"""
        import json, sys
        with open({str(log)!r}, "a") as out:
            out.write(json.dumps(sys.argv[3:]) + "\\n")
        if sys.argv[3] == "apply":
            sys.stderr.write("forbidden: jobs.batch is forbidden")
            sys.exit(1)
    """)
    with pytest.raises(SandboxUnavailable, match="forbidden"):
        KubernetesSandbox(namespace="grading", kubectl=str(kubectl))
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert [call[:2] for call in calls] == [["apply", "-f"], ["delete", "job"]]


@pytest.fixture
def fake_kubectl(tmp_path):
    """``kubectl``: logs its argv; ``apply`` keeps the Job; ``get`` shows its pod (Pending,
    then Running); ``cp`` copies into a directory standing for the pod's /home/grader;
    ``attach`` runs the Job's container command there (the real gate, then the runner)."""
    state = tmp_path / "cluster"
    (state / "pod").mkdir(parents=True)
    return _executable(tmp_path / "kubectl", f"""
        import json, os, shutil, sys
        state, runner, image_runner = {str(state)!r}, {str(RUNNER)!r}, {k8s.IMAGE_RUNNER!r}
        args = sys.argv[1:]
        with open(os.path.join(state, "calls.log"), "a") as log:
            log.write(json.dumps(args) + "\\n")
        assert args[:2] == ["--namespace", "grading"], args
        verb, args = args[2], args[3:]
        if verb == "apply":
            with open(os.path.join(state, "applied.json"), "w") as out:
                out.write(sys.stdin.read())
        elif verb == "get":
            polls = os.path.join(state, "polls")
            with open(polls, "a") as out:
                out.write(".")
            phase = "Running" if os.path.getsize(polls) > 1 else "Pending"
            name = args[args.index("--selector") + 1].split("=", 1)[1]
            print(json.dumps({{"items": [{{"metadata": {{"name": name + "-pod"}},
                                         "status": {{"phase": phase}}}}]}}))
        elif verb == "cp":
            source, target = [arg for arg in args if not arg.startswith("-") and arg != "grader"]
            destination = os.path.join(state, "pod", target.split(":/home/grader/", 1)[1])
            if os.path.isdir(source):
                shutil.copytree(source, destination)
            else:
                shutil.copy(source, destination)
        elif verb == "attach":
            with open(os.path.join(state, "applied.json")) as applied:
                job = json.load(applied)["items"][1]
            command = job["spec"]["template"]["spec"]["containers"][0]["command"]
            command = [sys.executable if arg == "python" else runner if arg == image_runner
                       else arg for arg in command]
            os.chdir(os.path.join(state, "pod"))
            os.execv(command[0], command)
    """)


def test_kubernetes_sandbox_speaks_the_protocol(fake_kubectl, tmp_path):
    state = tmp_path / "cluster"
    sandbox = KubernetesSandbox(limits=LIMITS, image="aimd-lms:test", namespace="grading",
                                kubectl=str(fake_kubectl), poll_interval=0.05)
    assert isinstance(sandbox, Sandbox)
    workdir = sandbox.workdir
    applied = json.loads((state / "applied.json").read_text())
    assert [item["kind"] for item in applied["items"]] == ["NetworkPolicy", "Job"]
    assert applied["items"][1]["metadata"]["name"] == sandbox.name
    try:
        assert sandbox.wait_ready(timeout=10)  # as a pool does, before the data is known
        (workdir / "data.txt").write_text("hello")
        (workdir / "tables").mkdir()
        (workdir / "tables" / "t.csv").write_text("a,b\n")
        tests = [
            ("n2", "open('data.txt').read()", "'hello'"),
            ("n3", "open('tables/t.csv').read()", "'a,b\\n'"),
            ("n4", "import resource; resource.getrlimit(resource.RLIMIT_NOFILE)", "(64, 64)"),
            ("n5", "resource.getrlimit(resource.RLIMIT_CPU)", "(30, 31)"),
        ]
        sandbox.send(plan(CELL, *({"kind": "test", "code": code, "nonce": nonce,
                                   "timeout": 5} for nonce, code, _value in tests)))
        reply = sandbox.receive(timeout=10)
        assert reply["nonce"] == "n1"
        assert reply["status"] == "ok"
        for nonce, _code, value in tests:
            reply = sandbox.receive(timeout=10)
            assert (reply["nonce"], reply["status"], reply["value"]) == (nonce, "ok", value)
    finally:
        sandbox.kill()
    assert not workdir.exists()
    calls = [json.loads(line) for line in (state / "calls.log").read_text().splitlines()]
    verbs = [call[2] for call in calls]
    assert verbs[0] == "apply"
    assert verbs.count("get") == 2
    assert verbs.index("attach") < verbs.index("cp")  # copied after attaching, before cells
    assert verbs.count("cp") == 2
    assert verbs[-1] == "delete"
    assert calls[verbs.index("attach")][3:] == ["--stdin", "--quiet", "--container", "grader",
                                                f"pod/{sandbox.name}-pod"]
    assert calls[-1][3:] == ["job", sandbox.name, "--wait=false", "--ignore-not-found",
                             "--cascade=background"]


def test_kubernetes_gate_holds_the_runner_until_its_line():
    """Output before ``kubectl attach`` connects is lost: the runner must wait for the line,
    and must get every byte of the protocol after it."""
    command = [sys.executable, "-I", "-c", k8s.GATE, "30", "1000000", "64", str(RUNNER), ""]
    process = subprocess.Popen(command, stdin=subprocess.PIPE,  # noqa: S603
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert select.select([process.stdout], [], [], 0.5)[0] == []  # nothing yet
        process.stdin.write(b"start\n" + json.dumps(plan(CELL)).encode() + b"\n")
        process.stdin.flush()
        assert json.loads(process.stdout.readline()) == {"op": "ready"}
        reply = json.loads(process.stdout.readline())
        assert reply["nonce"] == "n1"
        assert reply["status"] == "ok"
    finally:
        process.kill()
        process.wait()
        process.stdin.close()
        process.stdout.close()
    ended = subprocess.run(command, input=b"", capture_output=True, timeout=5)  # noqa: S603
    assert (ended.returncode, ended.stdout) == (1, b"")
