"""A course's Dask cluster certificates: one CA, and a key pair per role.

    python -m autograder cluster-certs [--out DIR]

writes into DIR (default: the folder `batch --backend dask` reads, see `certs_dir`):

    ca.pem                               the course's CA certificate (public)
    scheduler.pem  scheduler-key.pem     for `dask scheduler --tls-cert/--tls-key`
    worker.pem     worker-key.pem        for each `dask worker --tls-cert/--tls-key`
    client.pem     client-key.pem        for the machine that runs `batch`

Every party of the cluster proves itself with a certificate signed by this CA, and trusts
no other CA (distributed's TLS: both sides verify, `ssl.CERT_REQUIRED`). The CA's private
key is never written: nobody can sign another certificate later, so a lost key pair is
replaced by making a new folder and handing it out again. Keys are written 0600, the
folder 0700.
"""

from __future__ import annotations

import datetime
import os
import secrets
from pathlib import Path

ROLES = ("scheduler", "worker", "client")
CA_FILE = "ca.pem"
VALID_DAYS = 400   # a course's term, with room to spare


class CertificateError(ValueError):
    """The certificates cannot be made or found; the message says what to do."""


def certs_dir() -> Path:
    """Where `batch --backend dask` reads the course's certificates:
    `AUTOGRADER_CLUSTER_CERTS` if set, else ~/.config/autograder/cluster (beside the
    grader's secret)."""
    default = Path.home() / ".config" / "autograder" / "cluster"
    return Path(os.environ.get("AUTOGRADER_CLUSTER_CERTS") or default)


def cert_file(folder: Path, role: str) -> Path:
    return folder / f"{role}.pem"


def key_file(folder: Path, role: str) -> Path:
    return folder / f"{role}-key.pem"


def make_certificates(out: Path, days: int = VALID_DAYS) -> list[Path]:
    """Write a new CA and the scheduler, worker and client key pairs into `out`; the
    files written. Refuses to overwrite: certificates already handed out stay valid."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    except ImportError:
        raise CertificateError("cluster-certs needs the cryptography package: pip install "
                               "'cryptography>=42' (the kit's [dask] extra)") from None
    names = [CA_FILE] + [p.name for r in ROLES for p in (cert_file(out, r), key_file(out, r))]
    clash = [n for n in names if (out / n).exists() or (out / n).is_symlink()]
    if clash:
        raise CertificateError(f"{out} already holds {', '.join(clash)}: the cluster may be "
                               "using them; give another --out, or remove the folder to "
                               "replace every certificate")
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = datetime.datetime.now(datetime.UTC)
    # A name of its own per course, so two courses' certificates are told apart in logs.
    course = secrets.token_hex(4)

    def name(role: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "autograder"),
                          x509.NameAttribute(NameOID.COMMON_NAME, f"{role} {course}")])

    def builder(subject: x509.Name, issuer: x509.Name, key: object) -> x509.CertificateBuilder:
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(hours=1))
                .not_valid_after(now + datetime.timedelta(days=days)))

    def usage(**granted: bool) -> x509.KeyUsage:
        flags = dict.fromkeys(("digital_signature", "content_commitment", "key_encipherment",
                               "data_encipherment", "key_agreement", "key_cert_sign",
                               "crl_sign", "encipher_only", "decipher_only"), False)
        return x509.KeyUsage(**{**flags, **granted})

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = name("CA")
    ca = (builder(ca_name, ca_name, ca_key)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(usage(key_cert_sign=True, crl_sign=True), critical=True)
          .sign(ca_key, hashes.SHA256()))
    written = [_write(out / CA_FILE, ca.public_bytes(serialization.Encoding.PEM), 0o644)]
    for role in ROLES:
        key = ec.generate_private_key(ec.SECP256R1())
        # Each role both serves and connects (workers talk to each other and the scheduler).
        cert = (builder(name(role), ca_name, key)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(usage(digital_signature=True), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                      ExtendedKeyUsageOID.CLIENT_AUTH]),
                               critical=False)
                .sign(ca_key, hashes.SHA256()))
        pem_key = key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        written.append(_write(cert_file(out, role),
                              cert.public_bytes(serialization.Encoding.PEM), 0o644))
        written.append(_write(key_file(out, role), pem_key, 0o600))
    return written


def _write(path: Path, data: bytes, mode: int) -> Path:
    """Create `path` with `mode` from the start (a key is never readable by others, not
    even for a moment), refusing one that appeared meanwhile or a link."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, mode)  # the umask may have taken bits away from a certificate
    return path


def client_credentials(folder: Path) -> dict[str, str]:
    """The CA and the client's key pair from `folder`, as PEM text (what distributed's
    Security takes in memory). Raises CertificateError naming what is missing or unsafe."""
    wanted = {"ca": folder / CA_FILE, "cert": cert_file(folder, "client"),
              "key": key_file(folder, "client")}
    missing = [str(p) for p in wanted.values() if not p.is_file()]
    if missing:
        raise CertificateError(
            f"the Dask cluster's certificates are missing ({', '.join(missing)}): make the "
            f"course's with `python -m autograder cluster-certs --out {folder}` (or point "
            "AUTOGRADER_CLUSTER_CERTS at the folder that has them), then start the "
            "scheduler and workers with them as the README shows")
    if wanted["key"].stat().st_mode & 0o077:
        raise CertificateError(f"{wanted['key']} is readable by other users: anyone who "
                               "reads it can join the cluster; run `chmod 600 "
                               f"{wanted['key']}`")
    return {role: path.read_text() for role, path in wanted.items()}
