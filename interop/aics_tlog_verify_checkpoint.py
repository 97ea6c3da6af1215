"""aics-tlog (PyPI) verifies a checkpoint triage-ledger signed and its witnesses cosigned.

usage: target/interop/venv/bin/python interop/aics_tlog_verify_checkpoint.py
           --note CHECKPOINT --log-vkey FILE [--witness-vkey FILE]... [--quorum K]
           [--tiles LOG_DIR]

Checks, with aics-tlog only:
  - each verifier key parses and its key id matches its key (parse_vkey);
  - verify_checkpoint: the log's Ed25519 signature (type 0x01) over the note,
    and every witness's cosignature/v1 (type 0x04) — a bad signature by a
    known key rejects the note — with at least K valid (default: all of them);
  - with --tiles: audit_tiles authenticates every hash tile and every entry
    bundle of the c2sp.org/tlog-tiles tree in LOG_DIR against the verified
    root (a changed byte in any tile or entry fails).
Exit 0 verified, 1 not verified, 2 usage (see interop/_peers.py).
"""

import argparse
import base64

import aics_tlog as t

import _peers as p


def run(a):
    log_key = t.parse_vkey(p.read_text(a.log_vkey).strip())
    p.ok(f"log key {log_key.name} id {log_key.key_id.hex()} type {log_key.key_type:#04x} parses, id matches")
    witnesses = []
    for f in a.witness_vkey:
        w = t.parse_vkey(p.read_text(f).strip())
        p.ok(f"witness key {w.name} id {w.key_id.hex()} type {w.key_type:#04x} parses, id matches")
        witnesses.append(w)
    quorum = len(witnesses) if a.quorum is None else a.quorum

    note = t.parse_note(p.read_bytes(a.note))
    res = t.verify_checkpoint(note, log_key, witnesses, quorum)
    if not res.ok:
        raise p.Failed(f"aics_tlog.verify_checkpoint: {res.error}")
    p.ok(f"checkpoint {res.origin} size {res.size} root {base64.b64encode(res.root).decode()}: "
         f"log signature, {len(res.witnesses)} cosignature(s) {sorted(res.witnesses)} (quorum {quorum})")
    if a.tiles:
        report = t.audit_tiles(t.FileSystemTileReader(a.tiles), res.size, res.root, entries=True)
        p.ok(f"audit_tiles({a.tiles}): {report.tiles} hash tile(s) and {report.bundles} entry bundle(s) "
             f"authenticated against the root")


parser = argparse.ArgumentParser(prog="aics_tlog_verify_checkpoint.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--note", required=True, help="the signed checkpoint")
parser.add_argument("--log-vkey", required=True, help="file holding the log's verifier key")
parser.add_argument("--witness-vkey", action="append", default=[], help="file holding a witness's verifier key")
parser.add_argument("--quorum", type=int, default=None, help="valid cosignatures required (default: every witness)")
parser.add_argument("--tiles", help="the log's tlog-tiles directory (LEDGER/log) to authenticate")
p.main(run, parser)
