"""cwt (PyPI, python-cwt) verifies triage-ledger's signed statements (COSE_Sign1, EdDSA).

usage: target/interop/venv/bin/python interop/cwt_verify_statement.py
           [--pub PUBLIC_KEY.pem] STATEMENT...

For each statement, with cwt: COSE.new().decode(statement, keys=[key]) with
key = COSEKey.from_pem(PEM, alg="EdDSA"), where PEM is --pub (as `triage-ledger
keys new` writes NAME.pub) or, without it, the public key of the certificate
the statement carries (x5chain, label 33, first element; read with
`cryptography`). decode checks the signature and returns the payload.
Exit 0 when every statement verifies, 1 otherwise, 2 usage (see interop/_peers.py).
"""

import argparse

import cbor2
from cwt import COSE, COSEKey

import _peers as p


def run(a):
    given = p.read_bytes(a.pub) if a.pub else None
    ctx = COSE.new()
    for f in a.statements:
        data = p.read_bytes(f)
        if given is not None:
            pem = given
        else:
            phdr = cbor2.loads(cbor2.loads(data).value[0])
            pem = p.certificate_public_pem(p.leaf_certificate_der(phdr))
        payload = ctx.decode(data, keys=[COSEKey.from_pem(pem, alg="EdDSA")])  # raises cwt.VerifyError
        p.ok(f"{f}: COSE.decode verified the signature with the {'given' if given else 'certified'} key "
             f"and returned the payload ({len(payload)} bytes)")


parser = argparse.ArgumentParser(prog="cwt_verify_statement.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--pub", help="the signer's public key (PEM); default: the key certified in x5chain")
parser.add_argument("statements", nargs="+", metavar="STATEMENT")
p.main(run, parser)
