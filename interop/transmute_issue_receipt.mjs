// @transmute/cose (npm) issues a COSE Receipt (RFC 9942) and a transparent statement (RFC 9943) for an entry of a triage-ledger log.
//
// usage: node interop/transmute_issue_receipt.mjs --log-key LEDGER/private/log.key
//            --log LEDGER/log --index I --out-receipt RECEIPT --out-transparent STATEMENT
//
// Reads every entry of the log's c2sp.org/tlog-tiles tree (entry bundles, up
// to the checkpoint's size), then with @transmute/cose 0.2.11: checks that
// CoMETRE.RFC9162_SHA256.root over their leaves (receipt.leaf) is the
// checkpoint's root, receipt.inclusion.issue for entry I with the protected
// header {1: -8, 4: the log's key id, 15: {1: the log's name, 2: the
// statement's sub, 6: now}, 395: 1}, then receipt.add(entry, receipt). The
// package signs ECDSA only, so its `remote` signer hook is given Ed25519 from
// node:crypto with the log's key (Go's note private-key format); the hook must
// return an ArrayBuffer (a Uint8Array would be encoded as CBOR tag 64).
// `triage-ledger inspect STATEMENT --vkey LOG_VKEY` verifies the result.
// Modules: target/interop/npm/node_modules (interop/_peers.mjs).
// Exit 0 written, 1 the tiles disagree with the checkpoint, 2 usage.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sign } from 'node:crypto';
import * as p from './_peers.mjs';

const cose = p.require('@transmute/cose');
const { CoMETRE } = p.require('@transmute/rfc9162');
const USAGE = 'usage: node interop/transmute_issue_receipt.mjs --log-key LEDGER/private/log.key '
  + '--log LEDGER/log --index I --out-receipt RECEIPT --out-transparent STATEMENT';
const s = { type: 'string' };

await p.main(USAGE, { 'log-key': s, log: s, index: s, 'out-receipt': s, 'out-transparent': s }, async (a) => {
  p.need(a, 'log-key', 'log', 'index', 'out-receipt', 'out-transparent');
  const { name, kid, key } = p.notePrivateKey(a['log-key']);
  const note = readFileSync(join(a.log, 'checkpoint'), 'utf8');
  const size = p.checkpointSize(note);
  const index = Number.parseInt(a.index, 10);
  if (!(index >= 0 && index < size)) p.usageError(`--index must be below the tree size ${size}`);
  const entries = p.readEntries(a.log, size);
  const leaves = [];
  for (const e of entries) leaves.push(await cose.receipt.leaf(new Uint8Array(e)));
  const root = Buffer.from(await CoMETRE.RFC9162_SHA256.root(leaves)).toString('base64');
  p.check(root === note.split('\n')[2], `CoMETRE root over the ${size} entries is the checkpoint's root`);
  const stmt = entries[index];
  const sub = cose.cbor.decode(cose.cbor.decodeFirstSync(stmt).value[0]).get(15)?.get(2);
  const claims = new Map([[1, name], ...(sub === undefined ? [] : [[2, sub]]), [6, Math.floor(Date.now() / 1000)]]);
  const signer = cose.detached.signer({
    remote: { sign: async (tbs) => cose.cbor.toArrayBuffer(sign(null, Buffer.from(tbs), key)) },
  });
  const receipt = await cose.receipt.inclusion.issue({
    protectedHeader: cose.ProtectedHeader([
      [cose.Protected.Alg, -8],
      [cose.Protected.Kid, kid],
      [15, claims],
      [cose.Protected.VerifiableDataStructure, 1],
    ]),
    entry: index, entries: leaves, signer,
  });
  const ts = await cose.receipt.add(stmt, receipt);
  writeFileSync(a['out-receipt'], Buffer.from(receipt));
  writeFileSync(a['out-transparent'], Buffer.from(ts));
  p.ok(`wrote ${a['out-receipt']} (${receipt.byteLength} bytes: entry ${index} of ${size}, iss ${JSON.stringify(name)}, `
    + `sub ${JSON.stringify(sub)}, kid ${kid.toString('hex')}) and ${a['out-transparent']} (${ts.byteLength} bytes)`);
}, { lastLine: 'done' });
