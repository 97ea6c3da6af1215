"""scitt-cose (PyPI) verifies triage-ledger's COSE Receipts (RFC 9942) and transparent statements (RFC 9943).

usage: target/interop/venv/bin/python interop/scitt_cose_verify_receipt.py
           --vkey LOG_VKEY (--receipt RECEIPT --entry ENTRY | --transparent STATEMENT)

With scitt-cose, the log key being the Ed25519 key of LOG_VKEY (a signed-note
verifier key, as `triage-ledger log vkey` prints it, turned into PEM here):
  --receipt/--entry: verify_receipt(RECEIPT, leaf = ENTRY): the RFC 9162
      inclusion proof (vds 1) rebuilds a root from the leaf and the receipt's
      signature verifies over it; the receipt's CWT iss must be the log's
      name (RFC 9943 §6);
  --transparent: extract_receipts(STATEMENT) (label 394: byte strings), then
      each receipt is verified as above against the statement as logged (the
      statement with label 394 removed from its unprotected header, re-encoded
      with cbor2), and parse_signed_statement verifies the statement's own
      signature with the key certified in its x5chain.
Each receipt's sub must name the tree it signs, "NAME tree SIZE" with SIZE
the tree size of its proof (one signature serves every receipt against a
tree; FORMATS.md §13).
Exit 0 verified, 1 not verified, 2 usage (see interop/_peers.py).
"""

import argparse

import cbor2
import scitt_cose as sc

import _peers as p


def verify_one(receipt: bytes, leaf: bytes, pem: bytes, name: str, what: str):
    r = sc.verify_receipt(receipt, leaf_entry_hex=leaf.hex(), log_public_key_pem=pem)
    if not r.ok:
        raise p.Failed(f"{what}: verify_receipt: failed at {r.failed_at}: {r.errors}")
    kid = r.protected_header_ext.get(4)
    p.ok(f"{what}: verify_receipt: leaf {r.leaf_index} of tree size {r.tree_size}, root {r.root}, "
         f"iss {r.issuer!r}, sub {r.subject!r}, kid {kid.hex() if isinstance(kid, bytes) else kid}")
    p.check(r.issuer == name, f"{what}: the receipt's iss is the log's name {name!r}")
    p.check(r.subject == f"{name} tree {r.tree_size}",
            f"{what}: the receipt's sub names the tree of its proof ({name} tree {r.tree_size})")
    return r


def run(a):
    vkey = p.read_text(a.vkey)
    name, _, _, _ = p.vkey_parts(vkey)
    pem = p.vkey_public_pem(vkey)
    if a.receipt or a.entry:
        if not (a.receipt and a.entry) or a.transparent:
            parser.error("give --receipt with --entry, or --transparent alone")
        verify_one(p.read_bytes(a.receipt), p.read_bytes(a.entry), pem, name, a.receipt)
        return
    if not a.transparent:
        parser.error("give --receipt with --entry, or --transparent")
    ts = p.read_bytes(a.transparent)
    receipts = sc.extract_receipts(ts)
    p.check(len(receipts) > 0, f"extract_receipts: {len(receipts)} receipt(s) in label 394")
    outer = cbor2.loads(ts)
    phdr, uhdr, payload, sig = outer.value
    uhdr = {k: v for k, v in uhdr.items() if k != 394}
    logged = cbor2.dumps(cbor2.CBORTag(18, [phdr, uhdr, payload, sig]))
    protected = cbor2.loads(phdr)
    st = sc.parse_signed_statement(
        logged, public_key_pem=p.certificate_public_pem(p.leaf_certificate_der(protected)))
    p.check(st["signature_verified"] is True,
            f"parse_signed_statement: the statement's signature verifies with its certified key "
            f"(iss {st['issuer']!r}, sub {st['subject']!r}, content type {st['content_type']!r})")
    for i, rc in enumerate(receipts, 1):
        verify_one(rc, logged, pem, name, f"receipt {i}")


parser = argparse.ArgumentParser(prog="scitt_cose_verify_receipt.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--vkey", required=True, help="file holding the log's verifier key")
parser.add_argument("--receipt", help="a COSE Receipt (`triage-ledger receipt LEDGER --index I`)")
parser.add_argument("--entry", help="the logged statement it is for (`triage-ledger log get`)")
parser.add_argument("--transparent", help="a transparent statement (`receipt --transparent`)")
p.main(run, parser)
