"""aics-tlog (PyPI) builds a small log of its own: a signed checkpoint, a tlog-proof, and tiles.

usage: target/interop/venv/bin/python interop/aics_tlog_make_log.py
           --origin ORIGIN --entries N --index I --out DIR

With aics-tlog only, for entries "aics-tlog entry <i>\n" (i < N), under a fresh
Ed25519 log key (vkey_from_ed25519, type 0x01):
  DIR/log.vkey          the log's verifier key
  DIR/entry             entry I
  DIR/entry.tlog-proof  c2sp.org/tlog-proof@v1 for entry I (MerkleTree.inclusion_proof)
                        followed by the checkpoint (sign_checkpoint)
  DIR/log/checkpoint    the same checkpoint
  DIR/log/tile/...      the c2sp.org/tlog-tiles tree (TileWriter): hash tiles and
                        entry bundles, full and partial
triage-ledger checks them with `log verify-inclusion --vkey DIR/log.vkey
--proof DIR/entry.tlog-proof --entry DIR/entry` and, with DIR/log served over
HTTP, `log audit --url URL --vkey DIR/log.vkey`.
Exit 0 written, 2 usage (see interop/_peers.py).
"""

import argparse
import base64
from pathlib import Path

import aics_tlog as t
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import _peers as p


def run(a):
    if not 0 <= a.index < a.entries:
        parser.error("--index must be below --entries")
    out = Path(a.out)
    (out / "log").mkdir(parents=True, exist_ok=True)
    sk = Ed25519PrivateKey.generate()
    vkey = t.vkey_from_ed25519(a.origin, sk.public_key())
    entries = [f"aics-tlog entry {i}\n".encode() for i in range(a.entries)]
    tree = t.MerkleTree()
    for e in entries:
        tree.append(e)
    signed = t.sign_checkpoint(t.Checkpoint(origin=a.origin, size=len(entries), root=tree.root()), sk, a.origin)
    proof = tree.inclusion_proof(a.index, len(entries)) or []
    (out / "log.vkey").write_text(t.format_vkey(vkey) + "\n")
    (out / "entry").write_bytes(entries[a.index])
    (out / "entry.tlog-proof").write_text(
        f"c2sp.org/tlog-proof@v1\nindex {a.index}\n"
        + "".join(base64.b64encode(h).decode() + "\n" for h in proof)
        + "\n" + signed.serialise())
    (out / "log/checkpoint").write_text(signed.serialise())
    paths = t.TileWriter(entries).write_to(out / "log")
    p.ok(f"log {t.format_vkey(vkey)}: {len(entries)} entries, root {base64.b64encode(tree.root()).decode()}")
    p.ok(f"wrote {out}/entry.tlog-proof (entry {a.index}, {len(proof)} path hashes) and "
         f"{len(paths)} tile(s) under {out}/log")


parser = argparse.ArgumentParser(prog="aics_tlog_make_log.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--origin", required=True)
parser.add_argument("--entries", type=int, required=True)
parser.add_argument("--index", type=int, required=True)
parser.add_argument("--out", required=True, help="output directory")
p.main(run, parser, "done")
