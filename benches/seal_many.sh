#!/usr/bin/env bash
# Peak memory of `seal` against the number of files: N small files (100
# bytes, 1,000 to a directory), for each N given. The streaming manifest and
# the walk that holds one listing per level keep memory flat.
#
#   bash benches/seal_many.sh [N...]     (default: 1000 100000 1000000)
#
# Data is made once per N in target/bench-many/N and kept: creating a million
# files takes minutes here, and deleting them slows this VM's disk for a while.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN=$PWD/target/release/triage-ledger
OUT=$PWD/target/bench-many
mkdir -p "$OUT"
KEY=$OUT/op.key; cp keys/demo-operator.key "$KEY"; chmod 600 "$KEY"
printf '%-10s %10s %12s %14s\n' files seal_s peak_rss_kib manifest_bytes
for N in "${@:-1000 100000 1000000}"; do
  for n in $N; do
    D=$OUT/$n
    if [ ! -f "$OUT/$n.complete" ]; then
      rm -rf "$D"
      python3 - "$D" "$n" <<'PY'
import os, sys
base, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(base, f"{i // 1000:04d}")
    if i % 1000 == 0:
        os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"log-{i:07d}.txt"), "wb") as f:
        f.write(b"%07d " % i + b"x" * 92)
PY
      touch "$OUT/$n.complete"
    fi
    rm -f "$OUT/$n.manifest" "$OUT/$n.cose"
    /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$BIN" seal "$D" --facility TF-MANY --key "$KEY" \
      --cert keys/demo-operator.pem --manifest "$OUT/$n.manifest" --out "$OUT/$n.cose" --quiet \
      > /dev/null 2>&1
    read -r wall rss < "$OUT/time.txt"
    printf '%-10s %10s %12s %14s\n' "$n" "$wall" "$rss" "$(stat -c %s "$OUT/$n.manifest")"
  done
done
