// @auth0/cose (npm) signs a registration statement in triage-ledger's profile (FORMATS §9).
//
// usage: node interop/auth0_cose_sign_statement.mjs --key KEY.pem --cert CERT.pem
//            --facility ID --name NAME --site SITE [--iat SECONDS] [--iss TEXT] --out STATEMENT
//
// With @auth0/cose: Sign1.sign(ProtectedHeaders [[1, -8], [3, content type],
// [15, CWT claims {1: iss, 2: sub, 6: iat}], [33, the certificate's DER]],
// no unprotected header, payload, key).encode() — a tagged COSE_Sign1. The
// payload, the record {"facility", "name", "site"}, is encoded with cbor-x
// (the encoder settings @auth0/cose itself uses), keys in deterministic order.
// iss defaults to the certificate subject as triage-ledger writes it.
// `triage-ledger inspect` reads the result, and `submit` admits it to a ledger
// whose trust root issued the certificate.
// Modules: target/interop/npm/node_modules (interop/_peers.mjs).
// Exit 0 written, 2 usage.
import { readFileSync, writeFileSync } from 'node:fs';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import * as p from './_peers.mjs';

const { Sign1, ProtectedHeaders } = p.require('@auth0/cose');
const { Encoder } = p.require('cbor-x');
const USAGE = 'usage: node interop/auth0_cose_sign_statement.mjs --key KEY.pem --cert CERT.pem '
  + '--facility ID --name NAME --site SITE [--iat SECONDS] [--iss TEXT] --out STATEMENT';
const s = { type: 'string' };

await p.main(USAGE, { key: s, cert: s, facility: s, name: s, site: s, iat: s, iss: s, out: s }, async (a) => {
  p.need(a, 'key', 'cert', 'facility', 'name', 'site', 'out');
  const certPem = readFileSync(a.cert);
  const der = Buffer.from(new X509Certificate(certPem).raw);
  const iat = a.iat === undefined ? Math.floor(Date.now() / 1000) : Number.parseInt(a.iat, 10);
  const iss = a.iss ?? p.subjectAsTriageLedgerWritesIt(certPem);
  const cbor = new Encoder({ tagUint8Array: false, useRecords: false, mapsAsObjects: false, useTag259ForMaps: false });
  // deterministic CBOR (RFC 8949 §4.2.1): keys sorted by their encodings: "name", "site", "facility"
  const payload = cbor.encode(new Map([['name', a.name], ['site', a.site], ['facility', a.facility]]));
  const claims = new Map([[1, iss], [2, a.facility], [6, iat]]);
  const signed = await Sign1.sign(
    new ProtectedHeaders([[1, -8], [3, 'application/vnd.triage-ledger.registration+cbor'], [15, claims], [33, der]]),
    undefined, payload, createPrivateKey(readFileSync(a.key)));
  const data = Buffer.from(signed.encode());
  writeFileSync(a.out, data);
  p.ok(`wrote ${a.out}: ${data.length} bytes, iss ${JSON.stringify(iss)}, sub ${JSON.stringify(a.facility)}, iat ${iat}`);
}, { lastLine: 'done' });
