#!/usr/bin/env bash
# Appends 1,000,000 entries of ~100 bytes with `log append --lines` into new
# ledgers and measures wall time and peak RSS (GNU time), then `log audit`.
# The final commit is durable (syncfs + fsync'd checkpoint) inside the timing.
#
#   bash benches/append_1m.sh [RUNS]     (default 5 runs)
#
# Ledgers go to target/bench-append/. On the ext4 of this project's VMs,
# creating files is slow for ~30 s after many files were deleted (the
# allocator skips recently freed inodes), so old runs are deleted *after*
# measuring, and a pause follows any deletion at the start.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
OUT=target/bench-append
cargo build --release --quiet
BIN=target/release/triage-ledger
mkdir -p "$OUT"
if compgen -G "$OUT/run-*" >/dev/null; then
  rm -rf "$OUT"/run-*
  echo "deleted old runs; waiting 40 s for the file system to settle" >&2
  sleep 40
fi
INPUT="$OUT/1m.txt"
if [ ! -f "$INPUT" ]; then
  awk 'BEGIN { for (i = 0; i < 1000000; i++) { s = sprintf("statement %07d ", i); while (length(s) < 99) s = s "x"; print s } }' > "$INPUT"
fi
echo "input: $(wc -l < "$INPUT") lines, $(stat -c %s "$INPUT") bytes"
printf '%-6s %10s %14s %12s %10s\n' run wall_s entries_per_s peak_rss_kb audit_s
for i in $(seq 1 "$RUNS"); do
  L="$OUT/run-$i"
  "$BIN" init "$L" --origin bench.example/log >/dev/null 2>&1
  /usr/bin/time -f "%e %M" -o "$OUT/time-$i" "$BIN" log append "$L" --lines < "$INPUT" >/dev/null 2>"$OUT/stderr-$i"
  read -r wall rss < "$OUT/time-$i"
  a0=$(date +%s.%N); "$BIN" log audit "$L" >/dev/null; a1=$(date +%s.%N)
  printf '%-6s %10s %14.0f %12s %10.2f\n' "$i" "$wall" "$(echo "1000000 / $wall" | bc -l)" "$rss" "$(echo "$a1 - $a0" | bc -l)"
done
# Floor for reference: just reading the input once.
t0=$(date +%s.%N); cat "$INPUT" > /dev/null; t1=$(date +%s.%N)
printf 'reading the input alone: %.3f s\n' "$(echo "$t1 - $t0" | bc -l)"
