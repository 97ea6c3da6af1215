"""tlog-scales (PyPI) builds a small log of its own: tiles, a signed checkpoint and a tlog-proof.

usage: target/interop/venv/bin/python interop/tlog_scales_make_log.py
           --origin ORIGIN --entries N --index I --out DIR

With tlog-scales only, for entries "tlog-scales entry <i>\\n" (i < N), under a
fresh Ed25519 log key (PlainEd25519Signer, type 0x01):
  DIR/log/              TilesWriter's c2sp.org/tlog-tiles tree and its checkpoint
                        (it deletes partial tiles once their full tile exists)
  DIR/log.vkey          the log's verifier key
  DIR/entry             entry I (read back with TilesReader.get_entry)
  DIR/entry.tlog-proof  c2sp.org/tlog-proof@v1 for entry I (TilesReader.get_inclusion_proof)
                        followed by the checkpoint
triage-ledger checks them with `log verify-inclusion` and, with DIR/log served
over HTTP, `log audit --url URL --vkey DIR/log.vkey`.
Exit 0 written, 2 usage (see interop/_peers.py).
"""

import argparse
import base64
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tlog_scales.signing import PlainEd25519Signer
from tlog_scales.tlog import Checkpoint
from tlog_scales.writer import TilesWriter

import _peers as p


def run(a):
    if not 0 <= a.index < a.entries:
        parser.error("--index must be below --entries")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    signer = PlainEd25519Signer(a.origin, Ed25519PrivateKey.generate())
    w = TilesWriter.create(out / "log", a.origin)
    for i in range(a.entries):
        w.add_leaf(f"tlog-scales entry {i}\n".encode())
    w.commit([signer])
    note = (out / "log/checkpoint").read_text()
    cp = Checkpoint.from_text(note)
    proof = w.reader.get_inclusion_proof(a.index, cp.size)
    (out / "log.vkey").write_text(signer.vkey.serialize() + "\n")
    (out / "entry").write_bytes(w.reader.get_entry(a.index))
    (out / "entry.tlog-proof").write_text(
        f"c2sp.org/tlog-proof@v1\nindex {a.index}\n"
        + "".join(base64.b64encode(h).decode() + "\n" for h in proof.node_hashes)
        + "\n" + note)
    p.ok(f"log {signer.vkey.serialize()}: {cp.size} entries, root {base64.b64encode(cp.root_hash).decode()}")
    p.ok(f"wrote {out}/entry.tlog-proof (entry {a.index}, {len(proof.node_hashes)} path hashes) and the tiles under {out}/log")


parser = argparse.ArgumentParser(prog="tlog_scales_make_log.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--origin", required=True)
parser.add_argument("--entries", type=int, required=True)
parser.add_argument("--index", type=int, required=True)
parser.add_argument("--out", required=True, help="output directory (its log/ must not exist)")
p.main(run, parser, "done")
