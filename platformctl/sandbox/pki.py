"""Certificates for the local control plane, made with the `cryptography` package.

Two certificate authorities: one for etcd (only kube-apiserver may talk to it) and one for
Kubernetes (serving certificate of kube-apiserver, client certificates of the admin, the
controller manager and the scheduler), plus the service-account signing key. Every key
is ECDSA P-256: quick to make and accepted by etcd and every Kubernetes component.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from platformctl.fsutil import write_atomic

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

VALIDITY_DAYS = 365
SERVICE_IP = "127.16.0.1"  # first address of the service range: the `kubernetes` Service
API_SERVER_NAMES = (
    "localhost",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
)


@dataclass(frozen=True)
class Pair:
    """A certificate and its private key on disk (PEM)."""

    cert: Path
    key: Path


@dataclass(frozen=True)
class Pki:
    """Where every certificate and key of the control plane lives."""

    dir: Path

    def pair(self, name: str) -> Pair:
        return Pair(self.dir / f"{name}.crt", self.dir / f"{name}.key")

    @property
    def ca(self) -> Pair:
        return self.pair("ca")

    @property
    def etcd_ca(self) -> Pair:
        return self.pair("etcd-ca")

    @property
    def etcd_server(self) -> Pair:
        return self.pair("etcd-server")

    @property
    def apiserver_etcd_client(self) -> Pair:
        return self.pair("apiserver-etcd-client")

    @property
    def apiserver(self) -> Pair:
        return self.pair("apiserver")

    @property
    def admin(self) -> Pair:
        return self.pair("admin")

    @property
    def controller_manager(self) -> Pair:
        return self.pair("controller-manager")

    @property
    def scheduler(self) -> Pair:
        return self.pair("scheduler")

    @property
    def sa_key(self) -> Path:
        return self.dir / "sa.key"

    @property
    def sa_pub(self) -> Path:
        return self.dir / "sa.pub"

    def complete(self) -> bool:
        pairs = (
            self.ca,
            self.etcd_ca,
            self.etcd_server,
            self.apiserver_etcd_client,
            self.apiserver,
            self.admin,
            self.controller_manager,
            self.scheduler,
        )
        files = [p for pair in pairs for p in (pair.cert, pair.key)] + [self.sa_key, self.sa_pub]
        return all(f.is_file() for f in files)


# Users and groups that the API server's bootstrap RBAC policy already knows.
ADMIN_SUBJECT = ("platformctl-admin", "system:masters")
CONTROLLER_MANAGER_SUBJECT = ("system:kube-controller-manager", None)
SCHEDULER_SUBJECT = ("system:kube-scheduler", None)


def ensure_pki(directory: Path) -> Pki:
    """Create every certificate and key under `directory` unless they already exist.

    Existing material is kept, so a kubeconfig handed out earlier stays valid across
    restarts; removing the directory (`sandbox down --purge`) starts afresh.
    """
    pki = Pki(directory)
    if pki.complete():
        return pki
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)

    ca_key, ca_cert = _make_ca("platformctl-sandbox-ca")
    _write_pair(pki.ca, ca_cert, ca_key)
    etcd_key, etcd_cert = _make_ca("platformctl-sandbox-etcd-ca")
    _write_pair(pki.etcd_ca, etcd_cert, etcd_key)

    loopback = ("127.0.0.1",)
    _issue(
        pki.etcd_server,
        etcd_cert,
        etcd_key,
        "etcd",
        None,
        dns=("localhost",),
        ips=loopback,
        server=True,
        client=True,
    )
    _issue(
        pki.apiserver_etcd_client,
        etcd_cert,
        etcd_key,
        "kube-apiserver-etcd-client",
        None,
        client=True,
    )
    _issue(
        pki.apiserver,
        ca_cert,
        ca_key,
        "kube-apiserver",
        None,
        dns=API_SERVER_NAMES,
        ips=(*loopback, SERVICE_IP),
        server=True,
    )
    for pair, (cn, org) in (
        (pki.admin, ADMIN_SUBJECT),
        (pki.controller_manager, CONTROLLER_MANAGER_SUBJECT),
        (pki.scheduler, SCHEDULER_SUBJECT),
    ):
        _issue(pair, ca_cert, ca_key, cn, org, client=True)

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    sa = ec.generate_private_key(ec.SECP256R1())
    write_atomic(pki.sa_key, _key_pem(sa), mode=0o600)
    write_atomic(
        pki.sa_pub,
        sa.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        mode=0o644,
    )
    return pki


def issue_client(pki: Pki, pair: Pair, cn: str, org: str | None = None) -> Pair:
    """Issue a client certificate for user `cn` (group `org`) from the existing Kubernetes CA.

    For processes that join the control plane later (the Training Operator), each with an
    identity of its own that RBAC can grant exactly what it needs.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    ca_cert = x509.load_pem_x509_certificate(pki.ca.cert.read_bytes())
    ca_key = serialization.load_pem_private_key(pki.ca.key.read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    pair.cert.parent.mkdir(parents=True, exist_ok=True)
    _issue(pair, ca_cert, ca_key, cn, org, client=True)
    return pair


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_pair(pair: Pair, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    from cryptography.hazmat.primitives import serialization

    write_atomic(pair.key, _key_pem(key), mode=0o600)
    write_atomic(pair.cert, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)


def _validity() -> tuple[dt.datetime, dt.datetime]:
    now = dt.datetime.now(dt.UTC)
    # Backdated a little: clocks of the processes reading the certificate may differ.
    return now - dt.timedelta(minutes=5), now + dt.timedelta(days=VALIDITY_DAYS)


def _name(cn: str, org: str | None) -> x509.Name:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attrs)


def _make_ca(cn: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(cn, None)
    start, end = _validity()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _issue(
    pair: Pair,
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    cn: str,
    org: str | None,
    *,
    dns: tuple[str, ...] = (),
    ips: tuple[str, ...] = (),
    server: bool = False,
    client: bool = False,
) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(cn, org)
    start, end = _validity()
    usages = []
    if server:
        usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
    if client:
        usages.append(ExtendedKeyUsageOID.CLIENT_AUTH)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )
    if dns or ips:
        names: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
        names += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    _write_pair(pair, builder.sign(ca_key, hashes.SHA256()), key)
