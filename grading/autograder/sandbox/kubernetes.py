"""The Kubernetes backend: a judge and a learner process in one two-container pod (a Job),
each reached with ``kubectl attach -i``.

Isolation, field by field (see ``job_manifest`` and ``network_policy_manifest``):

- a NetworkPolicy selecting every grader pod with both policy types and no rules: no
  traffic in or out, DNS included (it takes a CNI plugin that enforces NetworkPolicy);
  ``kubectl attach``/``cp`` go through the API server and kubelet, not the pod network;
- the pod runs as uid/gid 65534 (``runAsNonRoot``), with the project's seccomp profile
  (``Localhost``, ``seccomp.json`` beside this file copied to each node's
  ``/var/lib/kubelet/seccomp/``; each runner also refuses exec to itself), no privilege
  escalation, no capabilities, a read-only root filesystem, no service-account token, no
  service environment variables (nothing about the cluster) and no shared process
  namespace: the two containers see neither each other's processes nor their files, and
  talk only over a Unix socket in a small memory-backed volume both mount (``LINK``);
- resources: requests equal limits for CPU, memory and ephemeral storage (Guaranteed QoS,
  no noisy neighbour), size-limited ``emptyDir`` volumes for each container's
  ``/home/grader`` and ``/tmp`` (the judge's hold the hidden data files),
  plus the local backend's rlimits (CPU seconds, file size, open files, no core dumps), set
  by ``GATE`` because a pod spec has no ulimits;
- the Job never retries (``backoffLimit: 0``), is ended by ``activeDeadlineSeconds`` at the
  latest and deleted ``ttlSecondsAfterFinished`` after it ends, besides ``kill``.

Two things differ from the local and Docker backends, both because of ``kubectl``:

- output written before ``kubectl attach`` connects is lost, so the container starts in
  ``GATE``, which sets the rlimits and waits for one line on stdin before it becomes the
  runner; the sandbox sends that line once attached, so ``{"op": "ready"}`` is never missed;
- the work directory is on the worker, not in the pod: its files are copied into the pod
  with ``kubectl cp`` (which needs ``tar`` in the image, as in python:3.11-slim) once,
  just before the first command reaches the runner. That is after attaching: a pooled
  sandbox is attached (ready) before its submission's data files are known, exactly as a
  local one gets its files after it started.

The image must contain the project's grading environment (see ``docker.py``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from grading.autograder.sandbox.docker import (
    DEFAULT_IMAGE,
    IMAGE_INSIDE,
    LINK,
    SANDBOX_ENV,
    link_argument,
)
from grading.autograder.sandbox.local import (
    ROLES,
    WORKDIR,
    Limits,
    PipeSandbox,
    SandboxPairBase,
    SandboxUnavailable,
)

DEFAULT_NAMESPACE = "aimd-grading"
APP_LABEL = "app.kubernetes.io/name"
APP_NAME = "aimd-grader"
SANDBOX_LABEL = "grading.aimd/sandbox"  # one value per Job: finds its pod
NETWORK_POLICY_NAME = "aimd-grader-deny-all"
SECCOMP_PROFILE = "aimd-grading.json"  # under the kubelet's seccomp directory
GIB = 1024 * 1024 * 1024
TMP_BYTES = 64 * 1024 * 1024

# A container's entry point (``python -I -c GATE cpu fsize nofile runner preload link``): the
# rlimits, then one line from stdin (read byte by byte so nothing of the protocol is
# consumed), then the runner in this process's place. End of input: the client went away.
GATE = """\
import os, resource, sys
cpu, fsize, nofile = (int(value) for value in sys.argv[1:4])
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
while True:
    byte = os.read(0, 1)
    if not byte:
        sys.exit(1)
    if byte == b"\\n":
        break
os.execv(sys.executable, [sys.executable, "-I", *sys.argv[4:7]])
"""


def pod_labels(name: str) -> dict[str, str]:
    return {APP_LABEL: APP_NAME, "app.kubernetes.io/component": "sandbox", SANDBOX_LABEL: name}


def job_manifest(*, name: str, namespace: str, image: str, limits: Limits,
                 preload: tuple[str, ...], cpus: float = 1.0, storage_bytes: int = GIB // 2,
                 active_deadline_seconds: int = 1800, ttl_seconds: int = 60,
                 inside: str = IMAGE_INSIDE, seccomp_profile: str = SECCOMP_PROFILE) -> dict:
    """A batch/v1 Job running one pod with a ``learner`` and a ``judge`` container, whose
    stdin/stdout carry each runner's commands."""
    resources = {"cpu": f"{cpus:g}", "memory": str(limits.memory_bytes),
                 "ephemeral-storage": str(storage_bytes + TMP_BYTES)}

    def container(role: str) -> dict:
        return {
            "name": role,
            "image": image,
            "imagePullPolicy": "IfNotPresent",
            "command": ["python", "-I", "-c", GATE, str(limits.cpu_seconds),
                        str(limits.file_bytes), str(limits.open_files), f"{inside}/{role}.py",
                        ",".join(preload), link_argument(role)],
            "workingDir": WORKDIR,
            "env": [{"name": key, "value": value} for key, value in SANDBOX_ENV.items()],
            "stdin": True,
            "stdinOnce": True,  # the runner sees end of input once the grader detaches
            "tty": False,
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "privileged": False,
                "runAsNonRoot": True,
                "capabilities": {"drop": ["ALL"]},
            },
            "resources": {"requests": dict(resources), "limits": dict(resources)},
            "volumeMounts": [{"name": f"work-{role}", "mountPath": WORKDIR},
                             {"name": f"tmp-{role}", "mountPath": "/tmp"},  # noqa: S108
                             {"name": "link", "mountPath": LINK}],
        }

    pod_spec = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "hostNetwork": False,
        "hostPID": False,
        "hostIPC": False,
        "shareProcessNamespace": False,
        "terminationGracePeriodSeconds": 0,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65534,
            "runAsGroup": 65534,
            "fsGroup": 65534,
            "seccompProfile": {"type": "Localhost", "localhostProfile": seccomp_profile},
        },
        "containers": [container(role) for role in ROLES],
        "volumes": [
            *({"name": f"work-{role}", "emptyDir": {"sizeLimit": str(storage_bytes)}}
              for role in ROLES),
            *({"name": f"tmp-{role}", "emptyDir": {"sizeLimit": str(TMP_BYTES)}}
              for role in ROLES),
            {"name": "link", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
        ],
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": namespace, "labels": pod_labels(name)},
        "spec": {
            "backoffLimit": 0,
            "completions": 1,
            "parallelism": 1,
            "ttlSecondsAfterFinished": ttl_seconds,
            "activeDeadlineSeconds": active_deadline_seconds,
            "template": {"metadata": {"labels": pod_labels(name)}, "spec": pod_spec},
        },
    }


def network_policy_manifest(*, namespace: str) -> dict:
    """A NetworkPolicy denying all ingress and egress of every grader pod."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": NETWORK_POLICY_NAME, "namespace": namespace,
                     "labels": {APP_LABEL: APP_NAME}},
        "spec": {
            "podSelector": {"matchLabels": {APP_LABEL: APP_NAME}},
            "policyTypes": ["Ingress", "Egress"],
            # No "ingress" or "egress" rules: nothing is allowed either way.
        },
    }


class Kubectl:
    """``kubectl`` in one namespace, each command with a timeout."""

    def __init__(self, binary: str, namespace: str) -> None:
        self.binary, self.namespace = binary, namespace

    def __call__(self, *args: str, timeout: float, stdin_text: str | None = None,
                 cwd: Path | None = None) -> subprocess.CompletedProcess | None:
        """Run one command; None if it hung or failed to start."""
        try:
            return subprocess.run(  # noqa: S603 - fixed argv, no shell
                [self.binary, "--namespace", self.namespace, *args], input=stdin_text,
                capture_output=True, text=True, timeout=max(timeout, 0.1), check=False,
                cwd=cwd,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None


class KubernetesPair(SandboxPairBase):
    """One Job (its pod holding both runners) for one submission; ``kill`` deletes it.

    Creating it applies the NetworkPolicy (idempotent) and the Job; ``wait_ready`` waits for
    the pod, then attaches to each container and opens its gate; the first ``send`` to each
    copies its work directory in.
    """

    def __init__(self, *, limits: Limits | None = None, preload: tuple[str, ...] = (),
                 image: str = DEFAULT_IMAGE, namespace: str = DEFAULT_NAMESPACE,
                 kubectl: str = "kubectl", cpus: float = 1.0, poll_interval: float = 0.5,
                 **job_options) -> None:
        binary = shutil.which(kubectl)
        if binary is None:
            raise SandboxUnavailable(
                f"the Kubernetes client ({kubectl!r}) is not installed or not on PATH; "
                "install it or choose another sandbox backend")
        self.kubectl = Kubectl(binary, namespace)
        self.namespace, self.poll_interval = namespace, poll_interval
        self.name = f"aimd-grade-{uuid.uuid4().hex[:16]}"
        self.preload = tuple(preload)
        self.pod: str | None = None
        self.learner, self.judge = (KubernetesSandbox(self, role) for role in ROLES)
        self.manifests = [
            network_policy_manifest(namespace=namespace),
            job_manifest(name=self.name, namespace=namespace, image=image,
                         limits=limits or Limits(), preload=preload, cpus=cpus, **job_options),
        ]
        applied = self.kubectl("apply", "-f", "-", timeout=60,
                               stdin_text=json.dumps({"apiVersion": "v1", "kind": "List",
                                                      "items": self.manifests}))
        if applied is None or applied.returncode != 0:
            self.kill()  # a timed-out apply may still have created the Job
            detail = applied.stderr.strip() if applied is not None else "no answer"
            raise SandboxUnavailable(f"could not create the grading Job: {detail}")

    def wait_for_pod(self, deadline: float) -> str | None:
        """The name of the Job's pod once it runs; None if it ended or did not in time."""
        while self.pod is None and time.monotonic() < deadline:
            found = self.kubectl("get", "pods", "--selector", f"{SANDBOX_LABEL}={self.name}",
                                 "--output", "json", timeout=deadline - time.monotonic())
            if found is not None and found.returncode == 0:
                try:
                    pods = json.loads(found.stdout).get("items", [])
                except json.JSONDecodeError:
                    pods = []
                for pod in pods:
                    phase = pod.get("status", {}).get("phase")
                    if phase == "Running":
                        self.pod = pod["metadata"]["name"]
                        return self.pod
                    if phase in ("Succeeded", "Failed"):
                        return None
            time.sleep(min(self.poll_interval, max(deadline - time.monotonic(), 0)))
        return self.pod

    def kill(self) -> None:
        self.kubectl("delete", "job", self.name, "--wait=false", "--ignore-not-found",
                     "--cascade=background", timeout=30)  # best effort; the TTL is a backstop
        for sandbox in (self.learner, self.judge):
            sandbox.end()


class KubernetesSandbox(PipeSandbox):
    """One container of a ``KubernetesPair``: its ``kubectl attach`` client (``process``,
    once ``wait_ready`` has attached) and its work directory on the worker."""

    def __init__(self, pair: KubernetesPair, role: str) -> None:
        self.pair, self.role = pair, role
        self.process: subprocess.Popen | None = None
        self._synced = False
        self._tmp = tempfile.TemporaryDirectory(prefix=f"grade-{role}-")
        self.workdir = Path(self._tmp.name) / "work"
        self.workdir.mkdir()

    def begin(self, *, deadline: float) -> bool:
        """Attach once the pod runs, and open the gate."""
        if self.process is None:
            pod = self.pair.wait_for_pod(deadline)
            if pod is None:
                return False
            self.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                [self.pair.kubectl.binary, "--namespace", self.pair.namespace, "attach",
                 "--stdin", "--quiet", "--container", self.role, f"pod/{pod}"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            self.process.stdin.write(b"start\n")  # opens GATE: the runner starts now
            self.process.stdin.flush()
        return True

    def wait_ready(self, *, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        if not self.begin(deadline=deadline):
            return False
        return super().wait_ready(timeout=max(deadline - time.monotonic(), 0))

    def send(self, message: dict) -> None:
        if self.process is None:
            raise SandboxUnavailable("the sandbox is not attached: wait_ready comes first")
        if not self._synced:
            self._copy_workdir()
            self._synced = True
        super().send(message)

    def _copy_workdir(self) -> None:
        """Copy each entry of the work directory into the container's ``/home/grader``."""
        for entry in sorted(self.workdir.iterdir()):
            copied = self.pair.kubectl("cp", "--no-preserve", "--container", self.role,
                                       f"./{entry.name}",
                                       f"{self.pair.pod}:{WORKDIR}/{entry.name}",
                                       timeout=120, cwd=self.workdir)
            if copied is None or copied.returncode != 0:
                detail = copied.stderr.strip() if copied is not None else "no answer"
                raise SandboxUnavailable(f"could not copy {entry.name!r} into the pod: {detail}")

    def receive(self, *, timeout: float, extend=None) -> dict | None:
        if self.process is None:
            return None
        return super().receive(timeout=timeout, extend=extend)

    def end(self) -> None:
        if self.process is not None:
            self._end_process()
        self._tmp.cleanup()

    def kill(self) -> None:
        self.pair.kill()
