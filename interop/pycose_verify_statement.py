"""pycose (PyPI) verifies triage-ledger's signed statements (COSE_Sign1, EdDSA).

usage: target/interop/venv/bin/python interop/pycose_verify_statement.py
           [--pub PUBLIC_KEY.pem] STATEMENT...

For each statement, with pycose: Sign1Message.decode, then verify_signature
with an OKP/Ed25519 key that is --pub (a SubjectPublicKeyInfo PEM, as
`triage-ledger keys new` writes NAME.pub) or, without it, the key of the
certificate the statement carries (x5chain, label 33, first element; the
certificate is read with `cryptography`). Prints the protected header it read.
Exit 0 when every statement verifies, 1 otherwise, 2 usage (see interop/_peers.py).
"""

import argparse

import cbor2
from cryptography.hazmat.primitives import serialization
from pycose.keys.curves import Ed25519
from pycose.keys.okp import OKPKey
from pycose.messages import Sign1Message

import _peers as p


def raw_public(pem: bytes) -> bytes:
    return serialization.load_pem_public_key(pem).public_bytes_raw()


def run(a):
    given = raw_public(p.read_bytes(a.pub)) if a.pub else None
    for f in a.statements:
        data = p.read_bytes(f)
        msg = Sign1Message.decode(data)
        phdr = cbor2.loads(msg.phdr_encoded)
        x = given if given is not None else raw_public(p.certificate_public_pem(p.leaf_certificate_der(phdr)))
        msg.key = OKPKey(crv=Ed25519, x=x)
        claims = phdr.get(15, {})
        p.check(msg.verify_signature(),
                f"{f}: Sign1Message.verify_signature with the {'given' if given else 'certified'} key "
                f"(alg {phdr.get(1)}, content type {phdr.get(3)}, iss {claims.get(1)!r}, sub {claims.get(2)!r}, "
                f"payload {len(msg.payload)} bytes)")


parser = argparse.ArgumentParser(prog="pycose_verify_statement.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--pub", help="the signer's public key (PEM); default: the key certified in x5chain")
parser.add_argument("statements", nargs="+", metavar="STATEMENT")
p.main(run, parser)
