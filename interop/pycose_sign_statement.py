"""pycose (PyPI) signs a registration statement in triage-ledger's profile (FORMATS §9).

usage: target/interop/venv/bin/python interop/pycose_sign_statement.py
           --key KEY.pem --cert CERT.pem --facility ID --name NAME --site SITE
           [--iat SECONDS] [--iss TEXT | --iss-rfc4514] --out STATEMENT

With pycose: a Sign1Message with the protected header {1: -8 (EdDSA),
3: content type, 15: CWT claims {1: iss, 2: sub, 6: iat}, 33: x5chain (the
certificate)}, an empty unprotected header and the registration record as
attached payload, signed with an OKP/Ed25519 key made from --key, encoded
tagged (18). `triage-ledger inspect` reads it, and `submit` admits it to a
ledger whose trust root issued the certificate.
Exit 0 written, 2 usage (see interop/_peers.py).
"""

import argparse
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from pycose.algorithms import EdDSA
from pycose.headers import Algorithm, ContentType, X5chain
from pycose.keys.curves import Ed25519
from pycose.keys.okp import OKPKey
from pycose.messages import Sign1Message

import _peers as p


def run(a):
    cert_pem = p.read_bytes(a.cert)
    iss = p.subject_rfc4514(cert_pem) if a.iss_rfc4514 else a.iss
    ctype, claims, der, payload = p.registration_parts(
        cert_pem, a.facility, a.name, a.site, int(time.time()) if a.iat is None else a.iat, iss)
    sk = serialization.load_pem_private_key(p.read_bytes(a.key), None)
    key = OKPKey(crv=Ed25519, d=sk.private_bytes_raw(), x=sk.public_key().public_bytes_raw())
    msg = Sign1Message(phdr={Algorithm: EdDSA, ContentType: ctype, 15: claims, X5chain: der},
                       payload=payload, key=key)
    data = msg.encode()  # tagged COSE_Sign1
    Path(a.out).write_bytes(data)
    p.ok(f"wrote {a.out}: {len(data)} bytes, iss {claims[1]!r}, sub {claims[2]!r}, iat {claims[6]}")


parser = argparse.ArgumentParser(prog="pycose_sign_statement.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_registration_args(parser)
p.main(run, parser, "done")
