"""aics-tlog (PyPI) cosigns a triage-ledger checkpoint as a new witness would (tlog-cosignature).

usage: target/interop/venv/bin/python interop/aics_tlog_cosign_checkpoint.py
           --note CHECKPOINT --log-vkey FILE --name WITNESS_NAME
           --out-vkey FILE --out-cosignature FILE [--time UNIX_SECONDS]

With aics-tlog only: verifies the log's signature on the checkpoint (as a
witness must before it cosigns), makes a fresh Ed25519 witness key, writes
its verifier key (type 0x04, cosignature_vkey) to --out-vkey and its
cosignature/v1 line over the checkpoint (sign_cosignature, timestamp now or
--time) to --out-cosignature, as the signed-note line a tlog-witness answers:
`— <name> base64(key id || u64 time || signature)`. triage-ledger takes both
with `witness attach LEDGER --witness VKEY --cosignature LINE`.
Exit 0 written, 1 the checkpoint does not verify, 2 usage (see interop/_peers.py).
"""

import argparse
import base64
import time
from pathlib import Path

import aics_tlog as t
from aics_tlog.cosign import cosignature_vkey, sign_cosignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import _peers as p


def run(a):
    log_key = t.parse_vkey(p.read_text(a.log_vkey).strip())
    note = t.parse_note(p.read_bytes(a.note))
    p.check(t.verify_note(note, [log_key]), f"the checkpoint is signed by {log_key.name}")
    cp = t.parse_checkpoint(note.text)
    sk = Ed25519PrivateKey.generate()
    vkey = cosignature_vkey(a.name, sk.public_key())
    when = int(time.time()) if a.time is None else a.time
    _, line = sign_cosignature(sk, a.name, when, cp.origin, cp.size, cp.root, cp.extension_lines)
    Path(a.out_vkey).write_text(t.format_vkey(vkey) + "\n")
    Path(a.out_cosignature).write_text(
        f"\u2014 {line.name} {base64.b64encode(line.key_id + line.signature).decode()}\n")
    p.ok(f"wrote {a.out_vkey}: {t.format_vkey(vkey)}")
    p.ok(f"wrote {a.out_cosignature}: cosignature of {cp.origin} size {cp.size} at time {when}")


parser = argparse.ArgumentParser(prog="aics_tlog_cosign_checkpoint.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--note", required=True, help="the log's signed checkpoint")
parser.add_argument("--log-vkey", required=True, help="file holding the log's verifier key")
parser.add_argument("--name", required=True, help="the new witness's name, e.g. interop.example/aics-witness")
parser.add_argument("--out-vkey", required=True)
parser.add_argument("--out-cosignature", required=True)
parser.add_argument("--time", type=int, help="the cosignature's timestamp (default: now)")
p.main(run, parser, "done")
