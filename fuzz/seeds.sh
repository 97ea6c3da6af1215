#!/usr/bin/env bash
# Builds the fuzz targets' seed corpora, fuzz/corpus/<target>/seed-*, from
# the project's fixtures and committed demo identities (keys/) and from a
# demo the project's binary makes in fuzz/work/demo, which the targets also
# read as their trusted world (see fuzz/src/lib.rs).
#
#   fuzz/seeds.sh            keep fuzz/work/demo if it is there, else make it
#   fuzz/seeds.sh --fresh    make a new demo (new log and witness keys: the
#                            corpora fuzzed so far still run, but what they
#                            learnt about the old keys no longer verifies)
#
# The binary: $TRIAGE_LEDGER_BIN, else target/release or target/debug
# triage-ledger, else `cargo build` makes target/debug/triage-ledger.
# Corpus files fuzzing added are kept; the seeds are rewritten.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
work="$here/work"
demo="$work/demo"
corpus="$here/corpus"

fresh=false
[ "${1:-}" = "--fresh" ] && fresh=true

bin="${TRIAGE_LEDGER_BIN:-}"
if [ -z "$bin" ]; then
    for b in "$root/target/release/triage-ledger" "$root/target/debug/triage-ledger"; do
        if [ -x "$b" ]; then bin="$b"; break; fi
    done
fi
if [ -z "$bin" ]; then
    echo "seeds.sh: no triage-ledger binary; building target/debug/triage-ledger" >&2
    (cd "$root" && cargo build --bin triage-ledger)
    bin="$root/target/debug/triage-ledger"
fi
# A private copy (a hard link when it can: no space taken): the binary may
# be rebuilt while the seeds are made.
mkdir -p "$work"
tl="$work/triage-ledger"
trap 'rm -f "$tl"' EXIT
rm -f "$tl"
ln "$bin" "$tl" 2>/dev/null || cp "$bin" "$tl"

# The targets' world is a log whose entries are its statements: the demo
# with its records public (a confidential demo's entries are commitments;
# the formats fuzzed are the same). A demo kept from before issue 25 was
# made that way too; one made confidential is remade.
if $fresh || [ ! -f "$demo/trust/policy" ] || [ -f "$demo/ledger/labels.vrf" ]; then
    rm -rf "$demo"
    "$tl" demo "$demo" --records public > "$work/demo.log" 2>&1 || {
        cat "$work/demo.log" >&2
        echo "seeds.sh: the demo failed" >&2
        exit 1
    }
fi

# What the CLI writes from the demo ledger: receipts, transparent
# statements, tlog-proofs, witness requests, disclosures. Each kept in
# fuzz/work/cli (made again each time).
cli="$work/cli"
rm -rf "$cli"
mkdir -p "$cli"/{receipts,transparent,proofs,requests,disclosures,entries}
size="$(sed -n 2p "$demo/ledger/log/checkpoint")"
for ((i = 0; i < size; i++)); do
    "$tl" log get --index "$i" "$demo/ledger" > "$cli/entries/$i" 2>/dev/null || true
    "$tl" log prove --index "$i" "$demo/ledger" > "$cli/proofs/$i.tlog-proof" 2>/dev/null || rm -f "$cli/proofs/$i.tlog-proof"
    # Index entries have no receipt: the command refuses them.
    "$tl" receipt "$demo/ledger" --index "$i" --out "$cli/receipts/$i.receipt" > /dev/null 2>&1 || true
    "$tl" receipt "$demo/ledger" --index "$i" --transparent --out "$cli/transparent/$i.cose" > /dev/null 2>&1 || true
done
for old in 0 1 $((size / 2)) "$size"; do
    "$tl" witness request "$demo/ledger" --old "$old" --out "$cli/requests/old-$old" > /dev/null 2>&1 || true
done

python3 - "$root" "$demo" "$cli" "$corpus" "$tl" <<'PY'
"""Extracts and writes the seeds (a small deterministic CBOR codec)."""
import base64, hashlib, os, struct, subprocess, sys

root, demo, cli, corpus, tl = sys.argv[1:6]

# Record kinds in the order of triage_ledger::record::Kind::ALL.
KINDS = ["registration", "seal", "countersignature", "decision", "acknowledgement",
         "self-assessment", "step-completion", "step-acceptance", "determination",
         "dispute", "resolution", "transfer", "tool-inventory", "revocation",
         "designation", "framework"]

class Tag:
    def __init__(self, tag, value):
        self.tag, self.value = tag, value

def dec(b, i=0):
    """One definite-length CBOR item at b[i:]: (value, next offset)."""
    ib = b[i]; major, info = ib >> 5, ib & 31; i += 1
    if info < 24: n = info
    elif info in (24, 25, 26, 27):
        w = 1 << (info - 24); n = int.from_bytes(b[i:i + w], "big"); i += w
    else: raise ValueError("unsupported CBOR head")
    if major == 0: return n, i
    if major == 1: return -1 - n, i
    if major == 2: return bytes(b[i:i + n]), i + n
    if major == 3: return b[i:i + n].decode(), i + n
    if major == 4:
        out = []
        for _ in range(n):
            v, i = dec(b, i); out.append(v)
        return out, i
    if major == 5:
        out = []
        for _ in range(n):
            k, i = dec(b, i); v, i = dec(b, i); out.append((k, v))
        return out, i
    if major == 6:
        v, i = dec(b, i); return Tag(n, v), i
    if major == 7: return {20: False, 21: True, 22: None}[n], i
    raise ValueError

def decode(b):
    v, i = dec(b)
    return v

def head(major, n):
    if n < 24: return bytes([major << 5 | n])
    for info, w in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * w): return bytes([major << 5 | info]) + n.to_bytes(w, "big")

def enc(v):
    if isinstance(v, bool): return b"\xf5" if v else b"\xf4"
    if v is None: return b"\xf6"
    if isinstance(v, int): return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, bytes): return head(2, len(v)) + v
    if isinstance(v, str): return head(3, len(v.encode())) + v.encode()
    if isinstance(v, list):
        if v and isinstance(v[0], tuple):
            return map_enc(v)
        return head(4, len(v)) + b"".join(enc(x) for x in v)
    if isinstance(v, dict): return map_enc(list(v.items()))
    if isinstance(v, Tag): return head(6, v.tag) + enc(v.value)
    raise TypeError(type(v))

def map_enc(pairs):
    e = sorted((enc(k), enc(v)) for k, v in pairs)
    return head(5, len(e)) + b"".join(k + v for k, v in e)

def get(m, key):
    for k, v in m:
        if k == key: return v

def read(p):
    with open(p, "rb") as f: return f.read()

def files(d):
    return [os.path.join(d, f) for f in sorted(os.listdir(d))] if os.path.isdir(d) else []

written = {}
def seed(target, name, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f: f.write(data)
    written[target] = written.get(target, 0) + 1

def pem_der(text):
    body = text.split(b"-----BEGIN CERTIFICATE-----")[1].split(b"-----END")[0]
    return base64.b64decode(b"".join(body.split()))

# Inputs.
entries = [read(p) for p in sorted(files(os.path.join(cli, "entries")),
                                    key=lambda p: int(os.path.basename(p)))]
statements = {os.path.basename(p): read(p) for p in files(os.path.join(demo, "statements"))}
for i, e in enumerate(entries):
    if e and e[0] == 0xd2:
        statements["entry-%d" % i] = e
index_entries = {"entry-%d" % i: e for i, e in enumerate(entries) if e and e[0] >> 5 == 5}
receipts = {os.path.basename(p): read(p) for p in files(os.path.join(cli, "receipts"))}
transparent = {os.path.basename(p): read(p) for p in files(os.path.join(cli, "transparent"))}
packs = {os.path.basename(p): read(p) for p in files(os.path.join(demo, "packs"))}
manifests = {os.path.basename(p): read(p) for p in files(os.path.join(demo, "manifests"))}
proofs = {os.path.basename(p): read(p) for p in files(os.path.join(cli, "proofs"))}
requests = {os.path.basename(p): read(p) for p in files(os.path.join(cli, "requests"))}
checkpoint = read(os.path.join(demo, "ledger/log/checkpoint"))
notes = {"ledger-checkpoint": checkpoint}
for name, p in packs.items():
    for k, v in decode(p):
        if k == "checkpoint": notes["pack-" + name] = v
        if k == "statements":
            for j, s in enumerate(v): transparent["pack-%s-%d" % (name, j)] = s
for w in files(os.path.join(demo, "witnesses")):
    for s in files(os.path.join(w, "state")):
        notes["witness-" + os.path.basename(w)] = read(s)
key_names = sorted(f for f in os.listdir(os.path.join(root, "keys")) if f.endswith(".key"))
certs_pem = {f[:-4]: read(os.path.join(root, "keys", f[:-4] + ".pem")) for f in key_names}
signer_of = {pem_der(p): i for i, p in enumerate(certs_pem.values())}

# Receipts inside the transparent statements.
for name, t in transparent.items():
    try:
        v = decode(t)
        for r in get(v.value[1], 394) or []:
            if isinstance(r, bytes): receipts["in-" + name] = r
    except Exception:
        pass

# Disclosures: each manifest's items one at a time, and all at once.
for name, m in manifests.items():
    i, items = 0, []
    while i < len(m):
        it, i = dec(m, i); items.append(get(it, "path"))
    choices = [[p] for p in items[:3]] + ([items] if len(items) > 1 else [])
    for j, paths in enumerate(choices):
        out = os.path.join(cli, "disclosures", "%s-%d" % (name, j))
        subprocess.run([tl, "disclose", "--manifest", os.path.join(demo, "manifests", name),
                        "--paths", *paths, "--out", out],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
disclosures = {os.path.basename(p): read(p) for p in files(os.path.join(cli, "disclosures"))}

# A proof of misbehaviour's shape, made of genuine parts (an index entry
# with its inclusion path): it does not verify, the log being honest.
misbehaviour = {}
for name, e in list(index_entries.items())[:3]:
    i = int(name.split("-")[1])
    lines = proofs["%d.tlog-proof" % i].split(b"\n\n", 1)[0].split(b"\n")[2:]
    path = [base64.b64decode(l) for l in lines if l]
    misbehaviour[name] = enc({"type": "triage-ledger/misbehaviour@1", "checkpoint": checkpoint,
                              "entries": [[i, e, path]]})

# Records: each statement's payload, after a byte naming its kind.
records, admits = {}, {}
for name, s in statements.items():
    try:
        v = decode(s)
        protected = decode(v.value[0])
        ct = get(protected, 3)
        kind = ct.split("application/vnd.triage-ledger.")[1].split("+cbor")[0]
        k = KINDS.index(kind)
        payload = v.value[2]
        records[name] = bytes([k]) + payload
        chain = get(protected, 33)
        der = chain if isinstance(chain, bytes) else chain[0]
        if der in signer_of:
            admits[name] = bytes([signer_of[der], k, 0, 0]) + payload
    except Exception as e:
        print("seeds.sh: skipped %s: %s" % (name, e), file=sys.stderr)

# Tiles: [which object][its bytes], numbered as the tiles target does.
size = int(checkpoint.split(b"\n")[1])
def index_path(n):
    groups = []
    while True:
        groups.append(n % 1000); n //= 1000
        if n == 0: break
    groups.reverse()
    return "/".join(("x%03d" if i + 1 < len(groups) else "%03d") % g for i, g in enumerate(groups))
def tile(base, n, width):
    return "%s/%s%s" % (base, index_path(n), "" if width == 256 else ".p/%d" % width)
objs = ["checkpoint"]
for level in range(8):
    count = size >> (8 * level)
    if count == 0 and level > 0: break
    for n in range((count + 255) // 256):
        objs.append(tile("tile/%d" % level, n, min(count - n * 256, 256)))
for n in range((size + 255) // 256):
    objs.append(tile("tile/entries", n, min(size - n * 256, 256)))
objs = sorted(o for o in objs if os.path.exists(os.path.join(demo, "ledger/log", o)))
for i, o in enumerate(objs):
    seed("tiles", o.replace("/", "_"), bytes([i]) + read(os.path.join(demo, "ledger/log", o)))

# Write the corpora.
for n, s in statements.items():
    seed("statement", n, s); seed("cose_sign1", n, s); seed("cbor_decode", "statement-" + n, s)
    seed("transparent", "plain-" + n, s); seed("inspect", "statement-" + n, s)
    v = decode(s)
    seed("cbor_decode", "protected-" + n, v.value[0])
    chain = get(decode(v.value[0]), 33)
    for j, der in enumerate([chain] if isinstance(chain, bytes) else chain):
        seed("certificate", "x5chain-%s-%d" % (n, j), der)
for n, r in receipts.items():
    seed("receipt", n, r); seed("cose_sign1", "receipt-" + n, r)
    seed("cbor_decode", "receipt-" + n, r); seed("inspect", "receipt-" + n, r)
for n, t in transparent.items():
    seed("transparent", n, t); seed("cose_sign1", "transparent-" + n, t)
    seed("inspect", "transparent-" + n, t)
for n, p in packs.items():
    seed("pack", n, p); seed("verify", n, p); seed("cbor_decode", "pack-" + n, p)
    seed("inspect", "pack-" + n, p)
for n, m in misbehaviour.items():
    seed("misbehaviour", n, m); seed("verify", "misbehaviour-" + n, m)
    seed("cbor_decode", "misbehaviour-" + n, m); seed("inspect", "misbehaviour-" + n, m)
for n, c in notes.items():
    seed("note", n, c); seed("inspect", "note-" + n, c)
    body = c.split(b"\n\n", 1)[0] + b"\n"
    seed("note", "body-" + n, body)
    origin = c.split(b"\n", 1)[0]
    lines = [l + b"\n" for l in c.split(b"\n\n", 1)[1].split(b"\n") if l]
    cosigs = [l for l in lines if not l.startswith("\u2014 ".encode() + origin + b" ")]
    if cosigs:
        seed("cosignature", n, b"".join(cosigs))
    for j, l in enumerate(cosigs):
        seed("cosignature", "%s-%d" % (n, j), l)
for n, p in proofs.items():
    seed("tlog_proof", n, p); seed("inspect", "proof-" + n, p)
for n, r in requests.items():
    seed("witness_request", n, r); seed("inspect", "request-" + n, r)
policy = read(os.path.join(demo, "trust/policy"))
seed("policy", "demo", policy); seed("inspect", "policy", policy)
plines = policy.decode().splitlines()
logs = [l for l in plines if l.startswith("log ")]
wits = [l for l in plines if l.startswith("witness ")]
variants = {
    "none": logs + ["quorum none"],
    "one-witness": logs + wits[:1] + ["quorum w1"],
    "all": logs + wits + ["group g all w1 w2", "quorum g"],
    "nested": logs + wits + ["group a 1 w1", "group b any a w2", "group c 2 a b", "quorum c"],
    "urls": [l + " https://example.org/" for l in logs] + wits + ["quorum none"],
}
for n, lines in variants.items():
    seed("policy", n, ("\n".join(lines) + "\n").encode())
for n, m in manifests.items():
    seed("manifest", n, m); seed("cbor_decode", "manifest-" + n, m)
    i = 0
    while i < len(m):
        _, j = dec(m, i); seed("cbor_decode", "item-%s-%d" % (n, i), m[i:j]); i = j
for n, dz in disclosures.items():
    seed("disclosure", n, dz); seed("cbor_decode", "disclosure-" + n, dz); seed("inspect", "disclosure-" + n, dz)
for n, p in certs_pem.items():
    seed("certificate", n + ".pem", p); seed("certificate", n + ".der", pem_der(p))
    seed("inspect", "cert-" + n, p)
for n, r in records.items():
    seed("record", n, r); seed("cbor_decode", "payload-" + n, r[1:])
for n, a in admits.items():
    seed("admit", n, a)
for n, e in index_entries.items():
    seed("index_entry", n, e); seed("cbor_decode", "index-" + n, e)
state = read(os.path.join(demo, "monitor.state"))
seed("monitor_state", "demo", state); seed("cbor_decode", "monitor-state", state)
# Stored map nodes: a leaf (0x02) and a branch (0x03) of the right shapes.
h = hashlib.sha256(b"key").digest()
seed("index_entry", "stored-leaf", b"\x02" + h + struct.pack(">Q", 3) + hashlib.sha256(b"d").digest())
seed("index_entry", "stored-branch", b"\x03\x05" + (b"\x01\x00" + h + h) * 2)
for t in sorted(written):
    print("%-16s %4d seeds" % (t, written[t]))
PY
