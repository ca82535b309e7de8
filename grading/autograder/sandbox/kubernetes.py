"""The Kubernetes backend: the runner in a one-pod Job, reached with ``kubectl attach -i``.

Isolation, field by field (see ``job_manifest`` and ``network_policy_manifest``):

- a NetworkPolicy selecting every grader pod with both policy types and no rules: no
  traffic in or out, DNS included (it takes a CNI plugin that enforces NetworkPolicy);
  ``kubectl attach``/``cp`` go through the API server and kubelet, not the pod network;
- the pod runs as uid/gid 65534 (``runAsNonRoot``), with the runtime's default seccomp
  profile, no privilege escalation, no capabilities, a read-only root filesystem, no
  service-account token and no service environment variables (nothing about the cluster);
- resources: requests equal limits for CPU, memory and ephemeral storage (Guaranteed QoS,
  no noisy neighbour), size-limited ``emptyDir`` volumes for ``/home/grader`` and ``/tmp``,
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

from grading.autograder.sandbox.base import WORKDIR, Limits, PipeSandbox, SandboxUnavailable
from grading.autograder.sandbox.docker import DEFAULT_IMAGE, IMAGE_RUNNER, SANDBOX_ENV

DEFAULT_NAMESPACE = "aimd-grading"
APP_LABEL = "app.kubernetes.io/name"
APP_NAME = "aimd-grader"
SANDBOX_LABEL = "grading.aimd/sandbox"  # one value per Job: finds its pod
NETWORK_POLICY_NAME = "aimd-grader-deny-all"
CONTAINER = "grader"
GIB = 1024 * 1024 * 1024
TMP_BYTES = 64 * 1024 * 1024

# The container's entry point (``python -I -c GATE cpu fsize nofile runner preload``): the
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
os.execv(sys.executable, [sys.executable, "-I", sys.argv[4], sys.argv[5]])
"""


def pod_labels(name: str) -> dict[str, str]:
    return {APP_LABEL: APP_NAME, "app.kubernetes.io/component": "sandbox", SANDBOX_LABEL: name}


def job_manifest(*, name: str, namespace: str, image: str, limits: Limits,
                 preload: tuple[str, ...], cpus: float = 1.0, storage_bytes: int = GIB // 2,
                 active_deadline_seconds: int = 1800, ttl_seconds: int = 60,
                 runner: str = IMAGE_RUNNER) -> dict:
    """A batch/v1 Job running one grader pod whose stdin/stdout carry the protocol."""
    resources = {"cpu": f"{cpus:g}", "memory": str(limits.memory_bytes),
                 "ephemeral-storage": str(storage_bytes + TMP_BYTES)}
    container = {
        "name": CONTAINER,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["python", "-I", "-c", GATE, str(limits.cpu_seconds),
                    str(limits.file_bytes), str(limits.open_files), runner, ",".join(preload)],
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
        "volumeMounts": [{"name": "work", "mountPath": WORKDIR},
                         {"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108 - in the pod
    }
    pod_spec = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "hostNetwork": False,
        "hostPID": False,
        "hostIPC": False,
        "terminationGracePeriodSeconds": 0,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65534,
            "runAsGroup": 65534,
            "fsGroup": 65534,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": [
            {"name": "work", "emptyDir": {"sizeLimit": str(storage_bytes)}},
            {"name": "tmp", "emptyDir": {"sizeLimit": str(TMP_BYTES)}},
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


class KubernetesSandbox(PipeSandbox):
    """One runner in one fresh Job with its own work directory; used for one submission,
    then killed (``kill`` deletes the Job and removes the work directory).

    Creating it applies the NetworkPolicy (idempotent) and the Job; ``wait_ready`` waits for
    the pod, attaches and opens the gate; the first ``send`` copies the work directory in.
    ``process`` (the ``kubectl attach`` client) exists once ``wait_ready`` has attached.
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
        self.kubectl, self.namespace, self.poll_interval = binary, namespace, poll_interval
        self.name = f"aimd-grade-{uuid.uuid4().hex[:16]}"
        self.pod: str | None = None
        self.process: subprocess.Popen | None = None
        self._synced = False
        self._tmp = tempfile.TemporaryDirectory(prefix="grade-")
        self.workdir = Path(self._tmp.name) / "work"
        self.workdir.mkdir()
        self.manifests = [
            network_policy_manifest(namespace=namespace),
            job_manifest(name=self.name, namespace=namespace, image=image,
                         limits=limits or Limits(), preload=preload, cpus=cpus, **job_options),
        ]
        applied = self._kubectl("apply", "-f", "-", timeout=60,
                                stdin_text=json.dumps({"apiVersion": "v1", "kind": "List",
                                                  "items": self.manifests}))
        if applied is None or applied.returncode != 0:
            self.kill()  # a timed-out apply may still have created the Job
            detail = applied.stderr.strip() if applied is not None else "no answer"
            raise SandboxUnavailable(f"could not create the grading Job: {detail}")

    def _kubectl(self, *args: str, timeout: float, stdin_text: str | None = None,
                 cwd: Path | None = None) -> subprocess.CompletedProcess | None:
        """Run one kubectl command in the sandbox's namespace; None if it hung or failed to
        start."""
        try:
            return subprocess.run(  # noqa: S603 - fixed argv, no shell
                [self.kubectl, "--namespace", self.namespace, *args], input=stdin_text,
                capture_output=True, text=True, timeout=max(timeout, 0.1), check=False,
                cwd=cwd,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None

    def _wait_for_pod(self, deadline: float) -> str | None:
        """The name of the Job's pod once it runs; None if it ended or did not in time."""
        while time.monotonic() < deadline:
            found = self._kubectl("get", "pods", "--selector", f"{SANDBOX_LABEL}={self.name}",
                                  "--output", "json", timeout=deadline - time.monotonic())
            if found is not None and found.returncode == 0:
                try:
                    pods = json.loads(found.stdout).get("items", [])
                except json.JSONDecodeError:
                    pods = []
                for pod in pods:
                    phase = pod.get("status", {}).get("phase")
                    if phase == "Running":
                        return pod["metadata"]["name"]
                    if phase in ("Succeeded", "Failed"):
                        return None
            time.sleep(min(self.poll_interval, max(deadline - time.monotonic(), 0)))
        return None

    def wait_ready(self, *, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        if self.process is None:
            self.pod = self._wait_for_pod(deadline)
            if self.pod is None:
                return False
            self.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                [self.kubectl, "--namespace", self.namespace, "attach", "--stdin", "--quiet",
                 "--container", CONTAINER, f"pod/{self.pod}"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            self.process.stdin.write(b"start\n")  # opens GATE: the runner starts now
            self.process.stdin.flush()
        return super().wait_ready(timeout=max(deadline - time.monotonic(), 0))

    def send(self, message: dict) -> None:
        if self.process is None:
            raise SandboxUnavailable("the sandbox is not attached: wait_ready comes first")
        if not self._synced:
            self._copy_workdir()
            self._synced = True
        super().send(message)

    def _copy_workdir(self) -> None:
        """Copy each entry of the work directory into the pod's ``/home/grader``."""
        for entry in sorted(self.workdir.iterdir()):
            copied = self._kubectl("cp", "--no-preserve", "--container", CONTAINER,
                                   f"./{entry.name}", f"{self.pod}:{WORKDIR}/{entry.name}",
                                   timeout=120, cwd=self.workdir)
            if copied is None or copied.returncode != 0:
                detail = copied.stderr.strip() if copied is not None else "no answer"
                raise SandboxUnavailable(f"could not copy {entry.name!r} into the pod: {detail}")

    def receive(self, *, timeout: float) -> dict | None:
        if self.process is None:
            return None
        return super().receive(timeout=timeout)

    def kill(self) -> None:
        self._kubectl("delete", "job", self.name, "--wait=false", "--ignore-not-found",
                      "--cascade=background", timeout=30)  # best effort; the TTL is a backstop
        if self.process is not None:
            self._end_process()
        self._tmp.cleanup()
