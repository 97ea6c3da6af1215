#!/usr/bin/env bash
# The verifier page (issue 27): its size, and the time the demo's TF-0001
# pack takes to verify in it in headless Chromium (targets: under 1 MiB,
# under 200 ms), against the peer: the same verifier, native, as the CLI's
# `verify` (wall time of the whole process, dev profile as the tests build it).
#
#   bash benches/verifier_page.sh [RUNS]     (default 10; needs what scripts/test installs)
#
# "in the page" is what the page measures around the verifier call (input
# written, verified, JSON read back); "page shown" is from opening the page
# to its answer on screen (reading the page, decompressing and compiling
# the module, verifying, drawing the report), as the DevTools driver sees it.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cargo build --locked --quiet
bin=target/debug/triage-ledger
"$bin" demo "$tmp/demo" >/dev/null
scripts/verifier-page --trust "$tmp/demo/trust" --out "$tmp/verifier.html" >/dev/null
pack="$tmp/demo/packs/TF-0001.pack"
packs=()
for _ in $(seq "$runs"); do packs+=("$pack"); done
target/interop/venv/bin/python tests/browser/verifier_page.py "$tmp/verifier.html" "${packs[@]}" >"$tmp/page.jsonl"
cli=()
for _ in $(seq "$runs"); do
    s=$(date +%s%N)
    "$bin" verify "$pack" --trust "$tmp/demo/trust" >/dev/null 2>&1
    cli+=($(( ($(date +%s%N) - s) / 1000 )))
done
python3 - "$tmp/verifier.html" "$tmp/page.jsonl" "${cli[@]}" <<'PY'
import json, os, statistics, sys
page, results, cli = sys.argv[1], sys.argv[2], [int(x) / 1000 for x in sys.argv[3:]]
rows = [json.loads(l) for l in open(results)]
assert all(r["answer"]["packs"][0]["verified"] for r in rows), "a run did not verify"
def line(name, xs):
    print(f"{name:<28} min {min(xs):7.1f} ms  median {statistics.median(xs):7.1f} ms  max {max(xs):7.1f} ms")
size = os.path.getsize(page)
print(f"page size                    {size} bytes ({size / 1048576:.2f} MiB)")
line("TF-0001 in the page", [r["ms"] for r in rows])
line("TF-0001 page shown", [r["shown_ms"] for r in rows])
line("TF-0001 CLI verify (peer)", cli)
PY
