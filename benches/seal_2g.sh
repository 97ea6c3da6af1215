#!/usr/bin/env bash
# Seals a 2 GiB directory — one 1 GiB file and 20,000 small files (~52 KiB
# each) — in the page cache, against the peers over the same files, in one run:
#   sha256sum (GNU coreutils, SHA-256 only), openssl dgst -sha256 (SHA-256
#   only, with the CPU's SHA extensions), b3sum (BLAKE3 only, if installed:
#   `cargo install b3sum`), `triage-ledger seal` (both hashes, manifest,
#   signed statement) and `triage-ledger verify-bundle`. Peak RSS by GNU time.
#
#   bash benches/seal_2g.sh [RUNS]      (default 3; B3SUM=/path/to/b3sum)
#
# The data is made once in target/bench-seal/data and kept (making 20,000
# files is slow on this VM's journal-less ext4 after deletions).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
OUT=$PWD/target/bench-seal
DATA=$OUT/data
cargo build --release --quiet
BIN=$PWD/target/release/triage-ledger
B3SUM=${B3SUM:-$(command -v b3sum || true)}
if [ ! -f "$OUT/data.complete" ]; then
  rm -rf "$DATA"; mkdir -p "$DATA/small"
  head -c $((1 << 30)) /dev/urandom > "$DATA/disk-image.bin"
  python3 - "$DATA/small" <<'PY'
import os, sys
base = sys.argv[1]
block = os.urandom(1 << 20)
for i in range(20000):
    d = os.path.join(base, f"{i // 1000:02d}")
    os.makedirs(d, exist_ok=True)
    off = (i * 7919) % ((1 << 20) - 53248)
    with open(os.path.join(d, f"reset-{i:05d}.log"), "wb") as f:
        f.write(block[off:off + 53248])
PY
  touch "$OUT/data.complete"
fi
rm -f "$DATA/.complete"
KEY=$OUT/op.key; cp keys/demo-operator.key "$KEY"; chmod 600 "$KEY"
FILES=$OUT/files.txt
(cd "$DATA" && find . -type f | LC_ALL=C sort) > "$FILES"
echo "data: $(wc -l < "$FILES") files, $(du -sb "$DATA" | cut -f1) bytes"
warm() { (cd "$DATA" && xargs -a "$FILES" cat > /dev/null); }
t() { # label, command...: prints wall seconds and peak RSS (KiB)
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" > /dev/null
  read -r wall rss < "$OUT/time.txt"
  printf '%-28s %8s s %10s KiB\n' "$label" "$wall" "$rss"
}
for run in $(seq 1 "$RUNS"); do
  echo "run $run"
  warm
  t "sha256sum" bash -c "cd '$DATA' && xargs -a '$FILES' sha256sum"
  if command -v openssl >/dev/null; then
    warm
    t "openssl dgst -sha256" bash -c "cd '$DATA' && xargs -a '$FILES' openssl dgst -sha256"
  fi
  if [ -n "$B3SUM" ]; then
    warm
    t "b3sum" bash -c "cd '$DATA' && xargs -a '$FILES' '$B3SUM'"
  fi
  warm
  rm -f "$OUT/manifest.cbor" "$OUT/seal.cose"
  t "triage-ledger seal" "$BIN" seal "$DATA" --facility TF-BENCH --key "$KEY" \
     --cert keys/demo-operator.pem --manifest "$OUT/manifest.cbor" --out "$OUT/seal.cose" --quiet
  warm
  t "triage-ledger verify-bundle" "$BIN" verify-bundle "$DATA" --seal "$OUT/seal.cose" \
     --manifest "$OUT/manifest.cbor" --quiet
done
