#!/usr/bin/env bash
# Appends 1,000,000 entries of ~100 bytes with `log append --lines` into new
# ledgers and measures wall time and peak RSS (GNU time), then `log audit`.
# The final commit is durable (syncfs + fsync'd checkpoint) inside the timing.
#
#   bash benches/append_1m.sh [RUNS]     (default 5 runs)
#
# Ledgers go to target/bench-append/. On the ext4 of this project's VMs (no
# journal), ext4's inode allocator skips inodes freed in the last 60-300 s
# (`recently_deleted`), which makes creating files several times slower after
# many deletions: appends then take ~3 s instead of < 1 s. So this script
# deletes its ledgers only at the very end; run it again only minutes later,
# and not right after deleting other large directories.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
OUT=target/bench-append
cargo build --release --quiet
BIN=target/release/triage-ledger
mkdir -p "$OUT"
if compgen -G "$OUT/run-*" >/dev/null; then
  echo "warning: old runs in $OUT (an interrupted run?); deleting them now makes these figures pessimistic" >&2
  rm -rf "$OUT"/run-*
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
rm -rf "$OUT"/run-* "$OUT"/time-* "$OUT"/stderr-*
# Floor for reference: just reading the input once.
t0=$(date +%s.%N); cat "$INPUT" > /dev/null; t1=$(date +%s.%N)
printf 'reading the input alone: %.3f s\n' "$(echo "$t1 - $t0" | bc -l)"
