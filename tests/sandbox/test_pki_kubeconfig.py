"""Certificates and kubeconfigs of the local control plane (no binaries needed)."""

from __future__ import annotations

import base64
import ipaddress
import json
import stat
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from platformctl.sandbox import cpconfig
from platformctl.sandbox.pki import ensure_pki


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_certificates_chain_to_their_ca_with_the_right_names(tmp_path: Path) -> None:
    pki = ensure_pki(tmp_path / "pki")
    ca = _cert(pki.ca.cert)
    for pair in (pki.apiserver, pki.admin, pki.controller_manager, pki.scheduler):
        _cert(pair.cert).verify_directly_issued_by(ca)
    etcd_ca = _cert(pki.etcd_ca.cert)
    for pair in (pki.etcd_server, pki.apiserver_etcd_client):
        _cert(pair.cert).verify_directly_issued_by(etcd_ca)

    admin = _cert(pki.admin.cert)
    assert admin.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == (
        "system:masters"
    )
    assert _cert(pki.controller_manager.cert).subject.rfc4514_string() == (
        "CN=system:kube-controller-manager"
    )
    server = _cert(pki.apiserver.cert)
    sans = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "kubernetes.default.svc" in sans.get_values_for_type(x509.DNSName)
    # 127.0.0.1 and the `kubernetes` Service: the first address of the (loopback) range.
    assert {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)} == {
        "127.0.0.1",
        "127.16.0.1",
    }
    first = next(ipaddress.ip_network(cpconfig.SERVICE_CIDR).hosts())
    assert str(first) == "127.16.0.1"
    eku = server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]


def test_private_keys_are_owner_only_and_kept_across_calls(tmp_path: Path) -> None:
    pki = ensure_pki(tmp_path / "pki")
    assert stat.S_IMODE(pki.admin.key.stat().st_mode) == 0o600
    assert stat.S_IMODE(pki.sa_key.stat().st_mode) == 0o600
    assert stat.S_IMODE(pki.dir.stat().st_mode) == 0o700
    before = pki.ca.cert.read_bytes()
    ensure_pki(tmp_path / "pki")
    assert pki.ca.cert.read_bytes() == before


def test_kubeconfig_is_0600_and_embeds_the_admin_credentials(tmp_path: Path) -> None:
    pki = ensure_pki(tmp_path / "pki")
    path = tmp_path / "kubeconfig"
    cpconfig.write_kubeconfig(path, "https://127.0.0.1:6443", pki.ca.cert, pki.admin, "admin")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    doc = json.loads(path.read_text())
    cluster = doc["clusters"][0]["cluster"]
    assert cluster["server"] == "https://127.0.0.1:6443"
    assert base64.b64decode(cluster["certificate-authority-data"]) == pki.ca.cert.read_bytes()
    user = doc["users"][0]["user"]
    assert base64.b64decode(user["client-key-data"]) == pki.admin.key.read_bytes()
    assert doc["current-context"] == doc["contexts"][0]["name"]


def test_kubeconfig_loads_in_the_kubernetes_client(tmp_path: Path) -> None:
    from platformctl.cluster.kube import client_configuration

    pki = ensure_pki(tmp_path / "pki")
    path = tmp_path / "kubeconfig"
    cpconfig.write_kubeconfig(path, "https://127.0.0.1:6443", pki.ca.cert, pki.admin, "admin")
    configuration = client_configuration(path)
    assert configuration.host == "https://127.0.0.1:6443"
    assert Path(configuration.cert_file).read_bytes() == pki.admin.cert.read_bytes()
