"""tlog-scales (PyPI) verifies a checkpoint triage-ledger signed and its witnesses cosigned.

usage: target/interop/venv/bin/python interop/tlog_scales_verify_checkpoint.py
           --note CHECKPOINT --log-vkey FILE [--witness-vkey FILE]...
           [--proof TLOG_PROOF --entry FILE [--tiles LOG_DIR]]

Checks, with tlog-scales:
  - each verifier key's id matches its key (Vkey.from_string trusts the id it
    is given, so the probe recomputes it with Vkey(name, None, type, key));
  - Checkpoint.verify(key) for the log key (Ed25519, 0x01) and for EVERY
    witness key (cosignature/v1, 0x04): each must have a line that verifies.
    (VkeySet.verify would silently drop a line that fails; see interop/README.md);
  - with --proof/--entry: the c2sp.org/tlog-proof's checkpoint is the same
    tree, and InclusionProof.check recomputes its root from the entry's leaf
    hash and the proof's path;
  - with --tiles too: TilesReader reads the c2sp.org/tlog-tiles tree in
    LOG_DIR, recomputes the root from its tiles, reads the entry from its
    entry bundle and computes the same inclusion path from the tiles.
Exit 0 verified, 1 not verified, 2 usage (see interop/_peers.py).
"""

import argparse
import base64
from pathlib import Path

from tlog_scales.backend import LocalBackend
from tlog_scales.reader import TilesReader
from tlog_scales.signing import Vkey
from tlog_scales.tlog import Checkpoint, InclusionProof
from tlog_scales.utils import sha256

import _peers as p


def vkey(path):
    v = Vkey.from_string(p.read_text(path).strip())
    recomputed = Vkey(v.name, None, v.sig_type, v.pubkey).key_id
    p.check(recomputed == v.key_id,
            f"{v.name}: key id {v.key_id:08x} is the hash of its name, type {v.sig_type:#04x} and key")
    return v


def run(a):
    log_key = vkey(a.log_vkey)
    witnesses = [vkey(f) for f in a.witness_vkey]
    cp = Checkpoint.from_text(p.read_text(a.note))
    p.ok(f"parsed {cp.origin} size {cp.size} root {base64.b64encode(cp.root_hash).decode()}, "
         f"{len(cp.signatures)} signature line(s)")
    for v in [log_key, *witnesses]:
        try:
            cp.verify(v)  # raises when no line matches or the line does not verify
        except Exception as e:
            raise p.Failed(f"Checkpoint.verify({v.name} {v.key_id:08x}): {type(e).__name__} {e}") from e
        p.ok(f"Checkpoint.verify({v.name} {v.key_id:08x}, type {v.sig_type:#04x})")
    if a.proof or a.entry:
        if not (a.proof and a.entry):
            parser.error("--proof and --entry go together")
        index, hashes, note = p.parse_tlog_proof(p.read_text(a.proof))
        pcp = Checkpoint.from_text(note)
        p.check((pcp.origin, pcp.size, pcp.root_hash) == (cp.origin, cp.size, cp.root_hash),
                "the proof's checkpoint is the same tree")
        pcp.verify(log_key)
        p.ok("the proof's checkpoint is signed by the log key")
        leaf = sha256(b"\x00" + p.read_bytes(a.entry))
        InclusionProof(index, cp.size, hashes).check(leaf, cp.root_hash)  # raises when it fails
        p.ok(f"InclusionProof.check: the entry is leaf {index} of {cp.size} ({len(hashes)} path hashes)")
        if a.tiles:
            reader = TilesReader(LocalBackend(Path(a.tiles)))
            reader.set_size(cp.size)
            p.check(reader.calculate_root_hash() == cp.root_hash,
                    f"TilesReader({a.tiles}): the root recomputed from the tiles is the checkpoint's")
            p.check(reader.get_entry(index) == p.read_bytes(a.entry),
                    f"TilesReader: entry {index} read from its entry bundle is the entry")
            p.check(reader.get_inclusion_proof(index, cp.size).node_hashes == hashes,
                    f"TilesReader: the inclusion path computed from the tiles is the proof's")
    elif a.tiles:
        parser.error("--tiles needs --proof and --entry")


parser = argparse.ArgumentParser(prog="tlog_scales_verify_checkpoint.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--note", required=True, help="the signed checkpoint")
parser.add_argument("--log-vkey", required=True, help="file holding the log's verifier key")
parser.add_argument("--witness-vkey", action="append", default=[], help="file holding a witness's verifier key")
parser.add_argument("--proof", help="a c2sp.org/tlog-proof@v1 (`triage-ledger log prove`)")
parser.add_argument("--entry", help="the entry the proof is for (`triage-ledger log get`)")
parser.add_argument("--tiles", help="the log's tlog-tiles directory (LEDGER/log)")
p.main(run, parser)
