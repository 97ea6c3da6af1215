// Helpers shared by the Node probes in interop/ (not a probe itself).
//
// Every probe runs as `node interop/<probe>.mjs ...` with the packages that
// scripts/interop-setup installs from interop/package-lock.json into
// target/interop/npm/node_modules. Modules are resolved from there, relative
// to this file (createRequire), so no NODE_PATH is needed; set
// INTEROP_NODE_MODULES to a directory holding another node_modules/ to use
// that one instead.
//
// Exit codes, the same in every probe (and in the Python ones):
//   0  every check passed
//   1  a check failed: the peer refused the input, or the input does not parse
//      (a tampered file must give 1)
//   2  usage error, or an input file that cannot be read
//   3  the probe itself is broken (a bug here, not a verdict on the input)
//
// Nothing here implements a format: parsing and checking are left to the peer
// packages. These helpers only move keys between the files triage-ledger
// writes (signed-note verifier keys, Go's note private-key format, PEM) and
// node:crypto key objects, and read c2sp.org/tlog-tiles entry bundles.

import { createRequire } from 'node:module';
import { readFileSync, existsSync } from 'node:fs';
import { createPublicKey, createPrivateKey, X509Certificate } from 'node:crypto';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const base = process.env.INTEROP_NODE_MODULES
  ? join(process.env.INTEROP_NODE_MODULES, '/')
  : fileURLToPath(new URL('../target/interop/npm/', import.meta.url));
export const require = createRequire(base);

export class Failed extends Error {}
class Usage extends Error {}

export function ok(msg) { console.log(`ok: ${msg}`); }
export function check(cond, what) { if (!cond) throw new Failed(what); ok(what); }
export function usageError(msg) { throw new Usage(msg); }

// Parses arguments (node:util parseArgs), runs fn(values, positionals), maps the
// outcome to the exit codes above, prints `lastLine` on success.
export async function main(usage, options, fn, { positionals = false, lastLine = 'verified' } = {}) {
  let args;
  try {
    args = parseArgs({ options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: positionals, strict: true });
  } catch (e) {
    console.error(`${e.message}\n${usage}`);
    process.exit(2);
  }
  if (args.values.help) { console.log(usage); process.exit(0); }
  delete args.values.help;
  try {
    await fn(args.values, args.positionals);
  } catch (e) {
    if (e instanceof Usage) { console.error(`${e.message}\n${usage}`); process.exit(2); }
    if (e && (e.code === 'ENOENT' || e.code === 'EISDIR' || e.code === 'EACCES')) {
      console.error(`cannot read: ${e.message}`); process.exit(2);
    }
    if (e instanceof ReferenceError || e instanceof SyntaxError) {
      console.error(e); console.error('internal error in the probe'); process.exit(3);
    }
    if (e instanceof Failed) { console.error(`FAIL: ${e.message}`); process.exit(1); }
    const name = e && e.constructor ? e.constructor.name : typeof e;
    console.error(`FAIL: ${name}: ${e && e.message ? e.message : e}`);
    process.exit(1);
  }
  console.log(lastLine);
}

export function need(values, ...names) {
  for (const n of names) if (values[n] === undefined) usageError(`--${n} is required`);
}

// ---- keys -------------------------------------------------------------------

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

// A signed-note verifier key `name+hexid+base64(type || key)` (checks nothing).
export function vkeyParts(text) {
  const s = text.trim();
  const i = s.indexOf('+');
  const j = s.indexOf('+', i + 1);
  const raw = Buffer.from(s.slice(j + 1), 'base64');
  return { name: s.slice(0, i), kidHex: s.slice(i + 1, j), type: raw[0], key: raw.subarray(1) };
}

export function vkeyPublicKey(text) {
  const { key } = vkeyParts(text);
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, key]), format: 'der', type: 'spki' });
}

// Go's note signer format, as triage-ledger writes LEDGER/private/log.key:
// PRIVATE+KEY+<name>+<hex id>+<base64(type || seed)>.
export function notePrivateKey(path) {
  const parts = readFileSync(path, 'utf8').trim().split('+');
  if (parts[0] !== 'PRIVATE' || parts[1] !== 'KEY' || parts.length < 5) {
    throw new Failed(`${path}: not a PRIVATE+KEY+<name>+<id>+<key> file`);
  }
  const seed = Buffer.from(parts.slice(4).join('+'), 'base64').subarray(1);
  return {
    name: parts[2],
    kid: Buffer.from(parts[3], 'hex'),
    key: createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' }),
  };
}

export function certificatePublicKey(der) {
  return new X509Certificate(Buffer.from(der)).publicKey;
}

// The CWT iss of a triage-ledger statement (FORMATS §9): the subject's
// attributes in certificate order, `TYPE=value`, joined with ", " (not
// RFC 4514 order; see interop/README.md). node:crypto's X509Certificate.subject
// lists them in certificate order, one a line; it names 2.5.4.97 by its OID.
export function subjectAsTriageLedgerWritesIt(certPem) {
  return new X509Certificate(certPem).subject.split('\n')
    .map((l) => l.replace(/^2\.5\.4\.97=/, 'organizationIdentifier='))
    .join(', ');
}

// ---- c2sp.org/tlog-tiles entry bundles --------------------------------------

function tileIndex(n) {
  let s = String(n).padStart(3, '0');
  const groups = [];
  while (s.length > 3) { groups.unshift(s.slice(-3)); s = s.slice(0, -3); }
  groups.unshift(s.padStart(3, '0'));
  return [...groups.slice(0, -1).map((g) => `x${g}`), groups[groups.length - 1]].join('/');
}

// The first `size` entries of the tlog-tiles tree in logDir, from its entry
// bundles (each entry a big-endian u16 length, then its bytes). Not
// authenticated: a probe that uses this checks the result another way.
export function readEntries(logDir, size) {
  const out = [];
  for (let n = 0; n * 256 < size; n++) {
    const width = Math.min(256, size - 256 * n);
    let path = join(logDir, 'tile/entries', tileIndex(n));
    if (width < 256 && existsSync(`${path}.p/${width}`)) path = `${path}.p/${width}`;
    const data = readFileSync(path);
    const got = [];
    for (let i = 0; i < data.length;) {
      const len = data.readUInt16BE(i);
      got.push(data.subarray(i + 2, i + 2 + len));
      i += 2 + len;
    }
    if (got.length < width) throw new Failed(`${path}: ${got.length} entries, expected at least ${width}`);
    out.push(...got.slice(0, width));
  }
  return out;
}

export function checkpointSize(noteText) {
  return Number.parseInt(noteText.split('\n')[1], 10);
}
