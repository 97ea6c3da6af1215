"""Helpers shared by the Python probes in interop/ (not a probe itself).

Every probe runs with the venv that scripts/interop-setup makes:
    target/interop/venv/bin/python interop/<probe>.py ...
and imports this module from its own directory (Python puts the script's
directory first on sys.path).

Exit codes, the same in every probe:
    0  every check passed
    1  a check failed: the peer refused the input, or the input does not parse
       (a tampered file must give 1)
    2  usage error, or an input file that cannot be read
    3  the probe itself is broken (a bug here, not a verdict on the input)

Nothing here implements a format: parsing and checking are left to the peer
packages. These helpers only move keys between the files triage-ledger writes
(signed-note verifier keys, Go's note private-key format, PEM) and the forms
the peers take, and read c2sp.org/tlog-tiles entry bundles for the probes that
need every entry of a log.
"""

from __future__ import annotations

import argparse
import base64
import sys
import traceback
from pathlib import Path


class Failed(Exception):
    """A check failed (exit 1)."""


def ok(msg: str) -> None:
    print(f"ok: {msg}", flush=True)


def check(cond: bool, what: str) -> None:
    if not cond:
        raise Failed(what)
    ok(what)


def main(fn, parser: argparse.ArgumentParser, last_line: str = "verified") -> None:
    """Parse arguments (argparse exits 2 on a usage error), run fn(args),
    map its outcome to the exit codes above; print `last_line` on success."""
    args = parser.parse_args()
    try:
        fn(args)
    except Failed as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
    except (FileNotFoundError, IsADirectoryError, PermissionError) as e:
        print(f"{parser.prog}: cannot read: {e}", file=sys.stderr)
        sys.exit(2)
    except (NameError, ImportError, SyntaxError) as e:  # a bug in the probe
        traceback.print_exc()
        print(f"{parser.prog}: internal error: {e!r}", file=sys.stderr)
        sys.exit(3)
    except Exception as e:  # the peer raised on the input: it does not verify
        print(f"FAIL: {type(e).__module__}.{type(e).__name__}: {e or '(no detail)'}", file=sys.stderr)
        sys.exit(1)
    print(last_line)


def read_text(path: str) -> str:
    return Path(path).read_text()


def read_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


# ---- keys --------------------------------------------------------------------------


def vkey_parts(text: str) -> tuple[str, str, int, bytes]:
    """A signed-note verifier key `name+hexid+base64(type || key)`:
    (name, hex key id as written, type byte, 32-byte key). Checks nothing."""
    name, kid, b64 = text.strip().split("+", 2)
    raw = base64.b64decode(b64)
    return name, kid, raw[0], raw[1:]


def vkey_public_pem(text: str) -> bytes:
    """The Ed25519 key of a verifier key, as a SubjectPublicKeyInfo PEM."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    _, _, _, key = vkey_parts(text)
    return Ed25519PublicKey.from_public_bytes(key).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def read_note_private_key(path: str):
    """Go's note signer format, as triage-ledger writes LEDGER/private/log.key
    and WITNESS/witness.key: PRIVATE+KEY+<name>+<hex id>+<base64(type || seed)>.
    Returns (name, key id bytes, type byte, Ed25519PrivateKey)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    parts = Path(path).read_text().strip().split("+", 4)
    if parts[:2] != ["PRIVATE", "KEY"] or len(parts) != 5:
        raise Failed(f"{path}: not a PRIVATE+KEY+<name>+<id>+<key> file")
    _, _, name, hexid, b64 = parts
    raw = base64.b64decode(b64)
    return name, bytes.fromhex(hexid), raw[0], Ed25519PrivateKey.from_private_bytes(raw[1:])


def private_key_pem(sk) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return sk.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def leaf_certificate_der(protected: dict) -> bytes:
    """The signer's certificate: the first of x5chain (label 33, RFC 9360)."""
    x5 = protected.get(33)
    if x5 is None:
        raise Failed("no x5chain (label 33) in the protected header")
    return x5 if isinstance(x5, bytes) else x5[0]


def certificate_public_pem(der: bytes) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    return x509.load_der_x509_certificate(der).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


_SHORT_NAMES = {
    "2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O",
    "2.5.4.11": "OU", "2.5.4.97": "organizationIdentifier",
}


def subject_as_triage_ledger_writes_it(cert_pem_or_der: bytes) -> str:
    """The CWT iss of a triage-ledger statement (FORMATS §9): the subject's
    attributes in certificate order, `TYPE=value`, joined with ", ".

    NB: this is x509-parser's rendering, not RFC 4514 (which reverses the
    order and separates with "," alone); cryptography's rfc4514_string()
    gives the RFC form, which triage-ledger's `claims` rule refuses. See
    interop/README.md."""
    from cryptography import x509

    if cert_pem_or_der.lstrip().startswith(b"-----"):
        cert = x509.load_pem_x509_certificate(cert_pem_or_der)
    else:
        cert = x509.load_der_x509_certificate(cert_pem_or_der)
    parts = []
    for rdn in cert.subject.rdns:
        for a in rdn:
            parts.append(f"{_SHORT_NAMES.get(a.oid.dotted_string, a.oid.dotted_string)}={a.value}")
    return ", ".join(parts)


def subject_rfc4514(cert_pem: bytes) -> str:
    from cryptography import x509
    from cryptography.x509.oid import ObjectIdentifier

    cert = x509.load_pem_x509_certificate(cert_pem)
    return cert.subject.rfc4514_string({ObjectIdentifier("2.5.4.97"): "organizationIdentifier"})


# ---- c2sp.org/tlog-tiles entry bundles ----------------------------------------------


def _tile_index(n: int) -> str:
    s = f"{n:03d}"
    groups = []
    while len(s) > 3:
        groups.insert(0, s[-3:])
        s = s[:-3]
    groups.insert(0, s.rjust(3, "0"))
    return "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])


def read_entries(log_dir: str, size: int) -> list[bytes]:
    """The first `size` entries of a tlog-tiles tree in `log_dir`, from its
    entry bundles (each entry a big-endian u16 length, then its bytes).
    Not authenticated: a probe that uses this checks the result another way."""
    out: list[bytes] = []
    for n in range((size + 255) // 256):
        width = min(256, size - 256 * n)
        path = Path(log_dir) / "tile/entries" / _tile_index(n)
        if width < 256:
            partial = Path(str(path) + f".p/{width}")
            path = partial if partial.exists() else path
        data = path.read_bytes()
        i, got = 0, []
        while i < len(data):
            ln = int.from_bytes(data[i:i + 2], "big")
            got.append(data[i + 2:i + 2 + ln])
            i += 2 + ln
        if len(got) < width:
            raise Failed(f"{path}: {len(got)} entries, expected at least {width}")
        out.extend(got[:width])
    return out


def checkpoint_size(note_text: str) -> int:
    return int(note_text.split("\n")[1])


def parse_tlog_proof(text: str) -> tuple[int, list[bytes], str]:
    """c2sp.org/tlog-proof@v1: (index, hashes, the checkpoint note verbatim)."""
    head, _, note = text.partition("\n\n")
    lines = head.split("\n")
    if lines[0] != "c2sp.org/tlog-proof@v1":
        raise Failed("not a c2sp.org/tlog-proof@v1")
    rest = lines[1:]
    if rest and rest[0].startswith("extra "):
        rest = rest[1:]
    if not rest or not rest[0].startswith("index "):
        raise Failed("tlog-proof: no index line")
    index = int(rest[0][len("index "):])
    return index, [base64.b64decode(h) for h in rest[1:] if h], note


# ---- a registration statement in triage-ledger's profile (FORMATS §9, §10) ------------

REGISTRATION_CONTENT_TYPE = "application/vnd.triage-ledger.registration+cbor"


def registration_parts(cert_pem: bytes, facility: str, name: str, site: str, iat: int, iss: str | None):
    """What a registration statement signs, for a peer to encode: (content
    type, CWT claims {1: iss, 2: sub, 6: iat}, the certificate's DER for
    x5chain, the payload). The payload, the record {"facility", "name",
    "site"}, is encoded here with cbor2 in canonical (deterministic) form —
    the record is data, the COSE structure is the peer's."""
    import cbor2
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert = x509.load_pem_x509_certificate(cert_pem)
    der = cert.public_bytes(serialization.Encoding.DER)
    claims = {1: iss if iss is not None else subject_as_triage_ledger_writes_it(der), 2: facility, 6: iat}
    payload = cbor2.dumps({"facility": facility, "name": name, "site": site}, canonical=True)
    return REGISTRATION_CONTENT_TYPE, claims, der, payload


def add_registration_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--key", required=True, help="the signer's private key (PKCS#8 PEM, `keys new`)")
    parser.add_argument("--cert", required=True, help="the signer's certificate (PEM), put in x5chain")
    parser.add_argument("--facility", required=True, help="the facility id (record field and CWT sub)")
    parser.add_argument("--name", required=True)
    parser.add_argument("--site", required=True)
    parser.add_argument("--iat", type=int, help="CWT iat, POSIX seconds (default: now)")
    parser.add_argument("--iss", help="CWT iss (default: the certificate subject as triage-ledger writes it)")
    parser.add_argument("--iss-rfc4514", action="store_true",
                        help="CWT iss: the subject in RFC 4514 form, as cryptography writes it")
    parser.add_argument("--out", required=True)
