"""The sandbox backends behind one interface: what Docker and Kubernetes would run.

No Docker engine or cluster is needed: the argv and manifests are checked field by field,
and each backend's pair is driven through a fake ``docker``/``kubectl`` that records its
arguments and runs the real runners (``grading/autograder/inside/``) with the real link
between them, so the commands, the data-file copies (hidden files to the judge only), the
Unix-socket link and the Kubernetes start gate are exercised for real.
"""

import json
import select
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from grading.autograder import seccomp
from grading.autograder.sandbox import docker as docker_backend
from grading.autograder.sandbox import kubernetes as k8s
from grading.autograder.sandbox.base import (
    BACKENDS,
    Limits,
    Pair,
    Sandbox,
    SandboxUnavailable,
    create_pair,
    pair_class,
)
from grading.autograder.sandbox.docker import DockerPair, docker_command
from grading.autograder.sandbox.kubernetes import (
    KubernetesPair,
    job_manifest,
    network_policy_manifest,
)
from grading.autograder.sandbox.local import INSIDE, SandboxPair

LIMITS = Limits(cpu_seconds=30, memory_bytes=512 * 1024 * 1024, file_bytes=8 * 1024 * 1024,
                open_files=64, disk_bytes=64 * 1024 * 1024)


def pairs(argv: list[str]) -> set[tuple[str, str]]:
    return set(zip(argv, argv[1:], strict=False))


def values(argv: list[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == flag]


def converse(pair) -> None:
    """Start both runners and grade a tiny notebook through them: a learner cell reads its
    data file, the judge reads the learner's value and its own hidden file."""
    assert pair.wait_ready(timeout=30)
    for sandbox in (pair.learner, pair.judge):
        sandbox.start(seccomp=seccomp.runner_program(), threads=32, timeout=30)
    pair.learner.send({"op": "cell", "code": "import os\nx = open('data.txt').read()\n"
                                             "hidden_seen = os.path.exists('hidden.txt')"})
    assert pair.learner.receive(timeout=30)["status"] == "ok"
    pair.judge.send({"op": "test", "code": "assert x == 'hello' and hidden_seen is False\n"
                                           "open('hidden.txt').read()"})
    reply = pair.judge.receive(timeout=30)
    assert (reply["status"], reply["value"], reply["error"]) == ("ok", "'secret'", None)


def put_files(pair) -> None:
    for sandbox in (pair.learner, pair.judge):
        (sandbox.workdir / "data.txt").write_text("hello")
    (pair.judge.workdir / "hidden.txt").write_text("secret")


# --- registry -------------------------------------------------------------------------------

def test_registry_names_each_backend():
    assert pair_class("local") is SandboxPair
    assert pair_class("docker") is DockerPair
    assert pair_class("kubernetes") is KubernetesPair
    assert BACKENDS == ("local", "docker", "kubernetes")


def test_registry_refuses_unknown_backend():
    with pytest.raises(ValueError, match="local, docker, kubernetes"):
        pair_class("firecracker")


def test_the_shipped_seccomp_profile_is_the_generated_one():
    shipped = (Path(docker_backend.__file__).with_name("seccomp.json")).read_text()
    assert shipped == seccomp.docker_profile_json()
    profile = json.loads(shipped)
    refused = {name for rule in profile["syscalls"] for name in rule["names"]}
    assert {"fork", "vfork", "ptrace", "process_vm_readv", "clone", "clone3", "bpf",
            "unshare", "mount", "io_uring_setup"} <= refused


# --- Docker ---------------------------------------------------------------------------------

@pytest.fixture
def argv(tmp_path):
    return docker_command(role="judge", image="aimd-lms:test", workdir=tmp_path / "work",
                          linkdir=tmp_path / "link", limits=LIMITS,
                          preload=("numpy", "pandas"), name="aimd-grade-x", cpus=1.5,
                          pids_limit=100)


def test_docker_argv_isolation_flags(argv):
    assert argv[:2] == ["docker", "run"]
    for flag in ("--rm", "-i", "--read-only"):
        assert flag in argv
    for pair in [("--name", "aimd-grade-x"), ("--network", "none"),
                 ("--user", "65534:65534"), ("--cap-drop", "ALL"),
                 ("--security-opt", "no-new-privileges"), ("--pids-limit", "100"),
                 ("--pull", "never"), ("--workdir", "/home/grader"),
                 ("--security-opt", f"seccomp={docker_backend.SECCOMP_PROFILE}")]:
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


def test_docker_argv_runs_the_roles_runner_from_the_image(argv, tmp_path):
    image = argv.index("aimd-lms:test")
    assert argv[image + 1:] == ["python", "-I", f"{docker_backend.IMAGE_INSIDE}/judge.py",
                                "numpy,pandas", "connect:/run/aimd-link/link"]
    assert docker_backend.IMAGE_INSIDE.endswith("/site-packages/grading/autograder/inside")
    learner = docker_command(role="learner", image="i", workdir=tmp_path, linkdir=tmp_path,
                             limits=LIMITS, preload=(), name="n")
    assert learner[-3:] == [f"{docker_backend.IMAGE_INSIDE}/learner.py", "",
                            "listen:/run/aimd-link/link"]


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
    # Exactly two mounts: the container's work directory and the pair's link directory.
    mounts = values(argv, "-v") + values(argv, "--volume") + values(argv, "--mount")
    assert mounts == [f"{tmp_path / 'work'}:/home/grader:rw",
                      f"{tmp_path / 'link'}:/run/aimd-link:rw"]
    assert not any("docker.sock" in arg for arg in argv)


def test_docker_pair_without_docker(monkeypatch):
    with pytest.raises(SandboxUnavailable, match="docker"):
        DockerPair(docker="/nonexistent/docker")
    monkeypatch.setattr("shutil.which", lambda *args, **kwargs: None)
    with pytest.raises(SandboxUnavailable, match="not installed"):
        create_pair("docker", limits=LIMITS)


def _executable(path: Path, body: str) -> Path:
    path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
    path.chmod(0o755)
    return path


@pytest.fixture
def fake_docker(tmp_path):
    """``docker``: logs its argv; ``run`` becomes the role's runner in the mounted work
    directory, with the link directory where the container would mount it."""
    return _executable(tmp_path / "docker", f"""
        import json, os, sys
        with open({str(tmp_path / "docker.log")!r}, "a") as log:
            log.write(json.dumps(sys.argv[1:]) + "\\n")
        if sys.argv[1] == "run":
            work, link = [v.split(":")[0] for i, v in enumerate(sys.argv)
                          if sys.argv[i - 1] == "-v"]
            os.chdir(work)
            role = os.path.basename(sys.argv[-3])
            spec = sys.argv[-1].replace("/run/aimd-link", link)
            os.execv(sys.executable, [sys.executable, "-I", os.path.join({str(INSIDE)!r}, role),
                                      sys.argv[-2], spec])
    """)


def test_docker_pair_speaks_the_protocol(fake_docker, tmp_path):
    pair = DockerPair(limits=LIMITS, image="aimd-lms:test", docker=str(fake_docker))
    assert isinstance(pair, Pair)
    assert isinstance(pair.learner, Sandbox)
    workdirs = [pair.learner.workdir, pair.judge.workdir]
    try:
        put_files(pair)
        converse(pair)
    finally:
        pair.kill()
    assert not any(workdir.exists() for workdir in workdirs)
    calls = [json.loads(line) for line in (tmp_path / "docker.log").read_text().splitlines()]
    runs = [call for call in calls if call[0] == "run"]
    # Both containers start at once: their clients may log in either order.
    assert sorted(runs) == sorted([pair.learner.command[1:], pair.judge.command[1:]])
    assert all(("--network", "none") in pairs(call) for call in runs)
    kills = [call for call in calls if call[0] == "kill"]
    assert kills == [["kill", pair.learner.name], ["kill", pair.judge.name]]


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
    assert pod["shareProcessNamespace"] is False  # the judge's memory is not the learner's
    assert pod["securityContext"] == {
        "runAsNonRoot": True, "runAsUser": 65534, "runAsGroup": 65534, "fsGroup": 65534,
        "seccompProfile": {"type": "Localhost", "localhostProfile": "aimd-grading.json"}}
    assert [container["name"] for container in pod["containers"]] == ["learner", "judge"]
    for container in pod["containers"]:
        security = container["securityContext"]
        assert security["allowPrivilegeEscalation"] is False
        assert security["readOnlyRootFilesystem"] is True
        assert security["privileged"] is False
        assert security["capabilities"] == {"drop": ["ALL"]}
        assert (container["stdin"], container["stdinOnce"], container["tty"]) == (
            True, True, False)
        assert "envFrom" not in container
        assert {item["name"] for item in container["env"]} == set(docker_backend.SANDBOX_ENV)


def test_job_manifest_resources_and_volumes(job):
    pod = job["spec"]["template"]["spec"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert all(set(volume) == {"name", "emptyDir"} for volume in pod["volumes"])  # no hostPath
    assert volumes["link"]["emptyDir"] == {"medium": "Memory", "sizeLimit": "1Mi"}
    for container in pod["containers"]:
        role = container["name"]
        resources = container["resources"]
        assert resources["requests"] == resources["limits"]
        assert resources["limits"]["memory"] == str(512 * 1024 * 1024)
        assert resources["limits"]["cpu"] == "1"
        assert resources["limits"]["ephemeral-storage"] == str((256 + 64) * 1024 * 1024)
        assert volumes[f"work-{role}"]["emptyDir"]["sizeLimit"] == str(256 * 1024 * 1024)
        assert "sizeLimit" in volumes[f"tmp-{role}"]["emptyDir"]
        mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
        # Each its own work directory (the judge's holds the hidden files); only the link
        # is shared.
        assert mounts == {"/home/grader": f"work-{role}", "/tmp": f"tmp-{role}",  # noqa: S108
                          "/run/aimd-link": "link"}
        # The gate sets the local backend's rlimits, then becomes the image's runner.
        assert container["command"][:3] == ["python", "-I", "-c"]
        assert container["command"][4:] == [
            "30", str(8 * 1024 * 1024), "64", f"{docker_backend.IMAGE_INSIDE}/{role}.py",
            "numpy", docker_backend.link_argument(role)]


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


def test_kubernetes_pair_without_kubectl(monkeypatch):
    with pytest.raises(SandboxUnavailable, match="kubectl"):
        KubernetesPair(kubectl="/nonexistent/kubectl")
    monkeypatch.setattr("shutil.which", lambda *args, **kwargs: None)
    with pytest.raises(SandboxUnavailable, match="not installed"):
        create_pair("kubernetes")


def test_kubernetes_pair_refused_job(tmp_path):
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
        KubernetesPair(namespace="grading", kubectl=str(kubectl))
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert [call[:2] for call in calls] == [["apply", "-f"], ["delete", "job"]]


@pytest.fixture
def fake_kubectl(tmp_path):
    """``kubectl``: logs its argv; ``apply`` keeps the Job; ``get`` shows its pod (Pending,
    then Running); ``cp`` copies into a directory standing for the container's /home/grader;
    ``attach`` runs that container's command there (the real gate, then the runner), with
    the link volume at a directory of its own."""
    state = tmp_path / "cluster"
    for place in ("learner", "judge", "link"):
        (state / place).mkdir(parents=True)
    return _executable(tmp_path / "kubectl", f"""
        import json, os, shutil, sys
        state, inside = {str(state)!r}, {str(INSIDE)!r}
        image_inside = {docker_backend.IMAGE_INSIDE!r}
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
            role = args[args.index("--container") + 1]
            source, target = [arg for arg in args if not arg.startswith("-") and arg != role]
            destination = os.path.join(state, role, target.split(":/home/grader/", 1)[1])
            if os.path.isdir(source):
                shutil.copytree(source, destination)
            else:
                shutil.copy(source, destination)
        elif verb == "attach":
            role = args[args.index("--container") + 1]
            with open(os.path.join(state, "applied.json")) as applied:
                job = json.load(applied)["items"][1]
            [container] = [c for c in job["spec"]["template"]["spec"]["containers"]
                           if c["name"] == role]
            command = [sys.executable if arg == "python"
                       else arg.replace(image_inside, inside)
                              .replace("/run/aimd-link", os.path.join(state, "link"))
                       for arg in container["command"]]
            os.chdir(os.path.join(state, role))
            os.execv(command[0], command)
    """)


def test_kubernetes_pair_speaks_the_protocol(fake_kubectl, tmp_path):
    state = tmp_path / "cluster"
    pair = KubernetesPair(limits=LIMITS, image="aimd-lms:test", namespace="grading",
                          kubectl=str(fake_kubectl), poll_interval=0.05)
    assert isinstance(pair, Pair)
    workdirs = [pair.learner.workdir, pair.judge.workdir]
    applied = json.loads((state / "applied.json").read_text())
    assert [item["kind"] for item in applied["items"]] == ["NetworkPolicy", "Job"]
    assert applied["items"][1]["metadata"]["name"] == pair.name
    try:
        put_files(pair)  # before the first command, as the engine does
        converse(pair)
        # The gate's rlimits are those of the pod's runner.
        pair.judge.send({"op": "test", "code": "import resource\n"
                                               "resource.getrlimit(resource.RLIMIT_NOFILE)"})
        assert pair.judge.receive(timeout=10)["value"] == "(64, 64)"
    finally:
        pair.kill()
    assert not any(workdir.exists() for workdir in workdirs)
    assert not (state / "learner" / "hidden.txt").exists()  # hidden files: the judge's only
    assert (state / "judge" / "hidden.txt").exists()
    calls = [json.loads(line) for line in (state / "calls.log").read_text().splitlines()]
    verbs = [call[2] for call in calls]
    assert verbs[0] == "apply"
    assert verbs.count("get") == 2  # the pod once, for both containers
    assert verbs.index("attach") < verbs.index("cp")  # copied after attaching, before cells
    assert verbs.count("attach") == 2
    assert verbs.count("cp") == 3  # data.txt to each container, hidden.txt to the judge
    assert verbs[-1] == "delete"
    attaches = sorted(call[3:] for call in calls if call[2] == "attach")  # both at once
    assert attaches == [["--stdin", "--quiet", "--container", role, f"pod/{pair.name}-pod"]
                        for role in ("judge", "learner")]
    assert calls[-1][3:] == ["job", pair.name, "--wait=false", "--ignore-not-found",
                             "--cascade=background"]


def test_kubernetes_gate_holds_the_runner_until_its_line(tmp_path):
    """Output before ``kubectl attach`` connects is lost: the runner must wait for the line,
    and must get every byte of the protocol after it."""
    command = [sys.executable, "-I", "-c", k8s.GATE, "30", "1000000", "64",
               str(INSIDE / "judge.py"), "", "connect:" + str(tmp_path / "nobody")]
    process = subprocess.Popen(command, stdin=subprocess.PIPE,  # noqa: S603
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert select.select([process.stdout], [], [], 0.5)[0] == []  # nothing yet
        learner_end = __import__("socket").socket(1)  # AF_UNIX: stands in for the learner
        learner_end.bind(str(tmp_path / "nobody"))
        learner_end.listen(1)
        process.stdin.write(b"start\n")
        process.stdin.flush()
        learner_end.settimeout(30)
        connection, _ = learner_end.accept()
        assert json.loads(process.stdout.readline()) == {"op": "ready"}
        connection.close()
    finally:
        process.kill()
        process.wait()
