"""cwt (PyPI, python-cwt) signs a registration statement in triage-ledger's profile (FORMATS §9).

usage: target/interop/venv/bin/python interop/cwt_sign_statement.py
           --key KEY.pem --cert CERT.pem --facility ID --name NAME --site SITE
           [--iat SECONDS] [--iss TEXT | --iss-rfc4514] --out STATEMENT

With cwt: COSE.new().encode(payload, COSEKey.from_pem(KEY, alg="EdDSA"),
protected={1: -8, 3: content type, 15: {1: iss, 2: sub, 6: iat}, 33: the
certificate's DER}) — a tagged COSE_Sign1 with the registration record as
attached payload. `triage-ledger inspect` reads it, and `submit` admits it
to a ledger whose trust root issued the certificate.
Exit 0 written, 2 usage (see interop/_peers.py).
"""

import argparse
import time
from pathlib import Path

from cwt import COSE, COSEKey

import _peers as p


def run(a):
    cert_pem = p.read_bytes(a.cert)
    iss = p.subject_rfc4514(cert_pem) if a.iss_rfc4514 else a.iss
    ctype, claims, der, payload = p.registration_parts(
        cert_pem, a.facility, a.name, a.site, int(time.time()) if a.iat is None else a.iat, iss)
    key = COSEKey.from_pem(p.read_bytes(a.key), alg="EdDSA")
    data = COSE.new().encode(payload, key, protected={1: -8, 3: ctype, 15: claims, 33: der})
    Path(a.out).write_bytes(data)
    p.ok(f"wrote {a.out}: {len(data)} bytes, iss {claims[1]!r}, sub {claims[2]!r}, iat {claims[6]}")


parser = argparse.ArgumentParser(prog="cwt_sign_statement.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_registration_args(parser)
p.main(run, parser, "done")
