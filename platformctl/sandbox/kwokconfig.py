"""kwok's configuration for the sandbox: the pod address range and the pod lifecycle Stages.

kwok (sigs.k8s.io/kwok) plays the kubelets of the sandbox's fake nodes. Its Stages decide
what happens to a pod on them. A configuration that defines any pod Stage replaces kwok's
default pod Stages, so the three defaults of kwok 0.7 (kustomize/stage/pod/fast: pods
become Running and Ready, pods of Jobs complete, deleted pods go) are restated here
unchanged, and one Stage of our own is added: a training pod (one the Training Operator
made: it carries the `training.kubeflow.org/job-name` label) "runs" for
`training_seconds` and then ends Succeeded with exit code 0, as a finished training
process would. The operator then marks its PyTorchJob Succeeded.
"""

from __future__ import annotations

import json

from platformctl.errors import UsageError

TRAINING_LABEL = "training.kubeflow.org/job-name"
DEFAULT_TRAINING_SECONDS = 5.0
MAX_TRAINING_SECONDS = 3600.0

# The defaults of kwok 0.7.0, kustomize/stage/pod/fast/*.yaml (Apache-2.0, the Kubernetes
# Authors), byte for byte apart from indentation.
_POD_READY = """\
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-ready
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.podIP'
      operator: 'DoesNotExist'
  next:
    statusTemplate: |
      {{ $now := Now }}

      conditions:
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: Initialized
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: Ready
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: ContainersReady
      {{ range .spec.readinessGates }}
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: {{ .conditionType | Quote }}
      {{ end }}

      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: true
        restartCount: 0
        state:
          running:
            startedAt: {{ $now | Quote }}
      {{ end }}

      initContainerStatuses:
      {{ range .spec.initContainers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: true
        restartCount: 0
        {{ if eq .restartPolicy "Always" }}
        started: true
        state:
          running:
            startedAt: {{ $now | Quote }}
        {{ else }}
        state:
          terminated:
            exitCode: 0
            finishedAt: {{ $now | Quote }}
            reason: Completed
            startedAt: {{ $now | Quote }}
        {{ end }}
      {{ end }}

      hostIP: {{ NodeIPWith .spec.nodeName | Quote }}
      podIP: {{ PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) | Quote }}
      phase: Running
      startTime: {{ $now | Quote }}
"""

_SUCCEEDED = """\
    statusTemplate: |
      {{ $now := Now }}
      {{ $root := . }}
      containerStatuses:
      {{ range $index, $item := .spec.containers }}
      {{ $origin := index $root.status.containerStatuses $index }}
      - image: {{ $item.image | Quote }}
        name: {{ $item.name | Quote }}
        ready: false
        restartCount: 0
        started: false
        state:
          terminated:
            exitCode: 0
            finishedAt: {{ $now | Quote }}
            reason: Completed
            startedAt: {{ $now | Quote }}
      {{ end }}
      phase: Succeeded
"""

_POD_COMPLETE = (
    """\
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-complete
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values:
      - 'Running'
    - key: '.metadata.ownerReferences.[].kind'
      operator: 'In'
      values:
      - 'Job'
  next:
"""
    + _SUCCEEDED
)

_POD_DELETE = """\
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-delete
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'Exists'
  next:
    finalizers:
      empty: true
    delete: true
"""


def training_stage(training_seconds: float) -> str:
    """Our Stage: a running training pod ends Succeeded after `training_seconds`."""
    return (
        f"""\
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: platformctl-training-pod-complete
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values:
      - 'Running'
    - key: '.metadata.labels["{TRAINING_LABEL}"]'
      operator: 'Exists'
  delay:
    durationMilliseconds: {round(training_seconds * 1000)}
  next:
"""
        + _SUCCEEDED
    )


def check_training_seconds(value: float) -> float:
    """The training pods' run time, validated (UsageError naming the option)."""
    if not 0 <= value <= MAX_TRAINING_SECONDS:
        raise UsageError(
            f"--training-seconds {value:g} is out of range; use 0 to {MAX_TRAINING_SECONDS:g}."
        )
    return value


def kwok_config(*, pod_cidr: str, training_seconds: float) -> str:
    """The multi-document YAML of kwok's --config: options, then the pod Stages."""
    check_training_seconds(training_seconds)
    options = {
        "apiVersion": "config.kwok.x-k8s.io/v1alpha1",
        "kind": "KwokConfiguration",
        "options": {"cidr": pod_cidr},
    }
    header = "# kwok of the sandbox (written by platformctl on every start).\n"
    documents = [
        json.dumps(options),  # JSON is YAML
        _POD_READY,
        _POD_COMPLETE,
        _POD_DELETE,
        training_stage(training_seconds),
    ]
    return header + "---\n".join(doc if doc.endswith("\n") else doc + "\n" for doc in documents)
