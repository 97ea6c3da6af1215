// @transmute/cose (npm) verifies triage-ledger's COSE Receipts (RFC 9942) and transparent statements (RFC 9943).
//
// usage: node interop/transmute_verify_receipt.mjs --vkey LOG_VKEY
//            (--receipt RECEIPT --entry ENTRY | --transparent STATEMENT)
//
// With @transmute/cose 0.2.11 (and its @transmute/rfc9162): receipt.leaf,
// then receipt.inclusion.verify({entry: leaf, receipt, verifier}) decodes the
// receipt, checks vds 1, reads the RFC 9162 inclusion proof from label 396,
// recomputes the root (CoMETRE.RFC9162_SHA256.verify_inclusion_proof) and
// hands it to the verifier. The package verifies ECDSA only, so the verifier
// here is Ed25519 from node:crypto over the package's own Sig_structure
// encoding (["Signature1", protected, h'', root]) with the key of LOG_VKEY.
// The receipt's CWT iss must be the log's name (RFC 9943 §6).
// --transparent: receipt.get (label 394), receipt.remove (the statement as
// logged, re-encoded canonically), then each receipt as above.
// Modules: target/interop/npm/node_modules (interop/_peers.mjs).
// Exit 0 verified, 1 not verified, 2 usage.
import { readFileSync } from 'node:fs';
import { verify } from 'node:crypto';
import * as p from './_peers.mjs';

const cose = p.require('@transmute/cose');
const USAGE = 'usage: node interop/transmute_verify_receipt.mjs --vkey LOG_VKEY '
  + '(--receipt RECEIPT --entry ENTRY | --transparent STATEMENT)';
const s = { type: 'string' };

async function verifyOne(receipt, logged, logKey, name, what) {
  const ed25519 = {
    verify: async ({ coseSign1, payload }) => {
      const [phdr, , , sig] = cose.cbor.decodeFirstSync(Buffer.from(coseSign1)).value;
      const tbs = cose.cbor.encode(['Signature1', phdr, Buffer.alloc(0), Buffer.from(payload)]);
      if (!verify(null, tbs, logKey, sig)) throw new p.Failed(`${what}: the Ed25519 signature over the root does not verify`);
      return payload;
    },
  };
  const root = await cose.receipt.inclusion.verify({
    entry: await cose.receipt.leaf(new Uint8Array(logged)), receipt: Buffer.from(receipt), verifier: ed25519 });
  const [phdr, uhdr] = cose.cbor.decodeFirstSync(Buffer.from(receipt)).value;
  const protectedHeader = cose.cbor.decode(phdr);
  const claims = protectedHeader.get(15) || new Map();
  const [size, index] = cose.cbor.decode(uhdr.get(396).get(-1)[0]);
  p.ok(`${what}: receipt.inclusion.verify: leaf ${index} of tree size ${size}, root ${Buffer.from(root).toString('base64')}, `
    + `iss ${JSON.stringify(claims.get(1))}, sub ${JSON.stringify(claims.get(2))}`);
  p.check(claims.get(1) === name, `${what}: the receipt's iss is the log's name ${JSON.stringify(name)}`);
}

await p.main(USAGE, { vkey: s, receipt: s, entry: s, transparent: s }, async (a) => {
  p.need(a, 'vkey');
  const vkey = readFileSync(a.vkey, 'utf8');
  const { name } = p.vkeyParts(vkey);
  const logKey = p.vkeyPublicKey(vkey);
  if (a.receipt !== undefined || a.entry !== undefined) {
    if (a.receipt === undefined || a.entry === undefined || a.transparent !== undefined) {
      p.usageError('give --receipt with --entry, or --transparent alone');
    }
    await verifyOne(readFileSync(a.receipt), readFileSync(a.entry), logKey, name, a.receipt);
    return;
  }
  if (a.transparent === undefined) p.usageError('give --receipt with --entry, or --transparent');
  const ts = readFileSync(a.transparent);
  const receipts = await cose.receipt.get(ts);
  p.check(receipts.length > 0 && receipts.every((r) => r instanceof Uint8Array),
    `receipt.get: ${receipts.length} receipt(s) in label 394, each a byte string`);
  const logged = Buffer.from(await cose.receipt.remove(ts));
  p.ok(`receipt.remove: the statement as logged (${logged.length} bytes)`);
  for (let i = 0; i < receipts.length; i++) await verifyOne(receipts[i], logged, logKey, name, `receipt ${i + 1}`);
});
