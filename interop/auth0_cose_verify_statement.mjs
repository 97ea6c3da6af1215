// @auth0/cose (npm) verifies triage-ledger's signed statements (COSE_Sign1, EdDSA).
//
// usage: node interop/auth0_cose_verify_statement.mjs [--pub PUBLIC_KEY.pem] STATEMENT...
//
// For each statement, with @auth0/cose: Sign1.decode, then verify(key) with
// key = --pub (a SubjectPublicKeyInfo PEM, as `triage-ledger keys new` writes
// NAME.pub) or, without it, the key of the certificate the statement carries
// (x5chain, label 33, first element; read with node:crypto). Not used:
// Sign1.verifyX509(roots), which fails on Ed25519 chains ("No valid
// certificate paths found"; interop/README.md).
// Modules: target/interop/npm/node_modules (interop/_peers.mjs).
// Exit 0 when every statement verifies, 1 otherwise, 2 usage.
import { readFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import * as p from './_peers.mjs';

const { Sign1 } = p.require('@auth0/cose');
const USAGE = 'usage: node interop/auth0_cose_verify_statement.mjs [--pub PUBLIC_KEY.pem] STATEMENT...';

await p.main(USAGE, { pub: { type: 'string' } }, async (a, files) => {
  if (files.length === 0) p.usageError('no STATEMENT given');
  const given = a.pub ? createPublicKey(readFileSync(a.pub)) : null;
  for (const f of files) {
    const msg = Sign1.decode(readFileSync(f));
    const ph = msg.protectedHeaders;
    let key = given;
    if (!key) {
      const x5 = ph.get(33);
      if (!x5) throw new p.Failed(`${f}: no x5chain (label 33)`);
      key = p.certificatePublicKey(Array.isArray(x5) ? x5[0] : x5);
    }
    await msg.verify(key); // throws COSESignatureVerificationFailed
    const claims = ph.get(15) || new Map();
    p.ok(`${f}: Sign1.verify with the ${given ? 'given' : 'certified'} key (alg ${msg.alg}, content type ${ph.get(3)}, `
      + `iss ${JSON.stringify(claims.get(1))}, sub ${JSON.stringify(claims.get(2))}, payload ${msg.payload.length} bytes)`);
  }
}, { positionals: true });
