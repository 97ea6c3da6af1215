"""scitt-cose (PyPI) issues a COSE Receipt (RFC 9942) and a transparent statement (RFC 9943) for an entry of a triage-ledger log.

usage: target/interop/venv/bin/python interop/scitt_cose_issue_receipt.py
           --log-key LEDGER/private/log.key --log LEDGER/log --index I
           --out-receipt RECEIPT --out-transparent STATEMENT

Reads every entry of the log's c2sp.org/tlog-tiles tree (entry bundles, up to
the checkpoint's size), then with scitt-cose: checks that merkle_root over
them is the checkpoint's root, build_receipt for entry I (vds 1, EdDSA) signed
with the log's key (Go's note private-key format, as triage-ledger keeps it),
with kid = the log's key id and CWT claims iss = the log's name, sub = the
statement's sub, iat = now; then attach_receipts(entry, [receipt]).
`triage-ledger inspect STATEMENT --vkey LOG_VKEY` verifies the result.
Exit 0 written, 1 the tiles disagree with the checkpoint, 2 usage (see interop/_peers.py).
"""

import argparse
import base64
import time
from pathlib import Path

import cbor2
import scitt_cose as sc

import _peers as p


def run(a):
    name, kid, _, sk = p.read_note_private_key(a.log_key)
    note = p.read_text(str(Path(a.log) / "checkpoint"))
    size = p.checkpoint_size(note)
    if not 0 <= a.index < size:
        parser.error(f"--index must be below the tree size {size}")
    entries = [e.hex() for e in p.read_entries(a.log, size)]
    root = bytes.fromhex(sc.merkle_root(entries))
    p.check(base64.b64encode(root).decode() == note.split("\n")[2],
            f"merkle_root over the {size} entries is the checkpoint's root")
    stmt = bytes.fromhex(entries[a.index])
    sub = cbor2.loads(cbor2.loads(stmt).value[0]).get(15, {}).get(2)
    rc = sc.build_receipt(leaf_entry_hex=entries[a.index], leaf_index=a.index, tree_entries_hex=entries,
                          alg="EdDSA", log_private_key_pem=p.private_key_pem(sk), iss=name, sub=sub, kid=kid,
                          iat=int(time.time()))
    ts = sc.attach_receipts(stmt, [rc])
    Path(a.out_receipt).write_bytes(rc)
    Path(a.out_transparent).write_bytes(ts)
    p.ok(f"wrote {a.out_receipt} ({len(rc)} bytes: entry {a.index} of {size}, iss {name!r}, sub {sub!r}, "
         f"kid {kid.hex()}) and {a.out_transparent} ({len(ts)} bytes)")


parser = argparse.ArgumentParser(prog="scitt_cose_issue_receipt.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--log-key", required=True, help="the log's private key (LEDGER/private/log.key)")
parser.add_argument("--log", required=True, help="the log's tlog-tiles directory (LEDGER/log)")
parser.add_argument("--index", type=int, required=True)
parser.add_argument("--out-receipt", required=True)
parser.add_argument("--out-transparent", required=True)
p.main(run, parser, "done")
