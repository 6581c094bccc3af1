"""What keeps the sandbox control plane from dialling out: flags, the policy, the log scan."""

from __future__ import annotations

from pathlib import Path

from platformctl.sandbox import cpconfig, lockdown

# Lines kube-apiserver 1.35 prints (the first two measured by test_lockdown_real's positive
# control; the third is the call this protection exists for, as the issue measured it).
LOOPBACK_WEBHOOK = (
    "W1130 05:42:04.162257   10517 dispatcher.go:210] Failed calling webhook, failing open "
    'control.sandbox.example.com: failed calling webhook "control.sandbox.example.com": '
    'failed to call webhook: Post "https://127.0.0.1:52695/x?timeout=10s": '
    "dial tcp 127.0.0.1:52695: connect: connection refused"
)
ISTIO_INJECTOR = (
    'E1130 05:42:04.162286   10517 dispatcher.go:214] "Unhandled Error" err="failed calling '
    'webhook \\"sidecar-injector.istio.io\\": failed to call webhook: Post '
    '\\"https://istiod.istio-system.svc:443/inject?timeout=10s\\": dial tcp 10.0.0.109:443: '
    'i/o timeout" logger="UnhandledError"'
)
APISERVICE = (
    'E1130 05:50:00.000000   10517 controller.go:146] "Unhandled Error" err="v1beta1.metrics.k8s.io '
    "failed with: failing or missing response from https://10.0.0.5:443/apis/metrics.k8s.io/v1beta1:"
    ' Get \\"https://10.0.0.5:443/apis/metrics.k8s.io/v1beta1\\": dial tcp 10.0.0.5:443: '
    'connect: connection refused" logger="UnhandledError"'
)
QUIET = (
    "I1130 05:40:31.087910    8231 instance.go:240] Using reconciler: lease\n"
    'E1130 05:40:33.943488    8231 controller.go:163] "Unhandled Error" err="unable to sync '
    'kubernetes service: Endpoints \\"kubernetes\\" is invalid: subsets[0].addresses[0].ip: '
    'Invalid value: \\"127.0.0.1\\": may not be in the loopback range" logger="UnhandledError"\n'
    "I1130 05:40:35.000000    8231 controller.go:615] quota admission added evaluator for: "
    "leases.coordination.k8s.io\n"
    "W1130 05:40:36.000000    8231 logging.go:55] [core] grpc: addrConn.createTransport failed to "
    'connect to {Addr: "127.0.0.1:2379"}: dial tcp 127.0.0.1:2379: connect: connection refused'
)


def test_the_apiserver_runs_with_the_webhook_admission_plugins_off(tmp_path: Path) -> None:
    argv = cpconfig.apiserver_args(
        Path("/bin/kube-apiserver"),
        cpconfig.Layout(tmp_path),
        cpconfig.Ports(2379, 2380, 6443, 10257, 10259),
    )
    assert "--disable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook" in argv
    assert "-v=2" in argv


def test_a_quiet_log_has_no_findings_and_loopback_etcd_dials_are_fine() -> None:
    assert lockdown.scan_log(QUIET) == []


def test_webhook_calls_and_dials_off_loopback_are_found() -> None:
    text = "\n".join([LOOPBACK_WEBHOOK, ISTIO_INJECTOR, APISERVICE])
    found = lockdown.scan_log(text)
    assert [f.split(": ", 1)[0] for f in found] == [
        "webhook or Service call",
        "dial to 10.0.0.109, webhook or Service call",
        "dial to 10.0.0.5, webhook or Service call",
    ]
    assert lockdown.scan_log("dial tcp [fd00::1]:443: i/o timeout")[0].startswith("dial to fd00::1")
    assert lockdown.scan_log("dial tcp [::1]:443: connection refused") == []


def test_the_policy_covers_apiservices_crds_and_proxies() -> None:
    rules = lockdown.POLICY["spec"]["matchConstraints"]["resourceRules"]
    assert [r["resources"] for r in rules] == [
        ["apiservices"],
        ["customresourcedefinitions"],
        ["pods/proxy", "services/proxy"],
    ]
    assert lockdown.BINDING["spec"] == {
        "policyName": lockdown.POLICY_NAME,
        "validationActions": ["Deny"],
    }
