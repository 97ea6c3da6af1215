#!/usr/bin/env bash
# tlog-witness over HTTP: aics-witness's server (PyPI) <- triage-ledger's client (`witness run --url`).
#
# usage: interop/witness_aics_server.sh PORT WORKDIR
#   PORT     a free TCP port on 127.0.0.1 for aics-witness
#   WORKDIR  a directory to create (must not exist, or be empty)
# environment: TRIAGE_LEDGER  our binary (default: triage-ledger on PATH)
#              INTEROP_VENV   the venv of scripts/interop-setup (default: target/interop/venv)
#
# 1. our `init` + `log append` make a ledger of 3 entries; `aics-witness init`
#    makes a witness (its vkey, type 0x04) that trusts our log key (`add-log`);
#    `aics-witness serve` listens on 127.0.0.1:PORT (waited for on /healthz);
# 2. `witness run --url` asks it to cosign size 3 (old 0), then, after 2 more
#    entries, size 5: our client sends old 0, gets 409 with size 3, retries with
#    old 3 and a consistency proof, and attaches the answer (it verifies it);
# 3. `aics-tlog verify-checkpoint` (the peer's own CLI) verifies the resulting
#    checkpoint: our log signature and their cosignature, quorum 1;
# 4. refusal: a checkpoint of the same origin signed by another key (a second
#    ledger) must be refused by their server (403), so `witness run` exits 1.
# The server is stopped (SIGTERM to its pid) on every exit.
# Exit 0 when all of that held, 1 when something did not, 2 usage.
set -uo pipefail
usage() { echo "usage: $0 PORT WORKDIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
PORT=$1 W=$2
case $PORT in '' | *[!0-9]*) usage ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
B=${TRIAGE_LEDGER:-triage-ledger}
V=${INTEROP_VENV:-$HERE/../target/interop/venv}
[ -x "$V/bin/aics-witness" ] || { echo "$V/bin/aics-witness missing: run scripts/interop-setup" >&2; exit 2; }
if [ -e "$W" ] && [ -n "$(ls -A "$W")" ]; then echo "$W exists and is not empty" >&2; exit 2; fi
mkdir -p "$W" && cd "$W" || exit 2

fail() { echo "FAIL: $*" >&2; [ -f serve.log ] && sed 's/^/  aics-witness: /' serve.log >&2; exit 1; }
ok() { echo "ok: $*"; }
SPID=
stop() { if [ -n "$SPID" ]; then kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; SPID=; fi; }
trap stop EXIT
trap 'exit 1' INT TERM

ORIGIN=interop.example/wlog-a
"$B" init L --origin $ORIGIN > init.out 2>&1 || fail "our init: $(cat init.out)"
LOGVKEY=$("$B" log vkey L) || fail "our log vkey"
append() { "$B" log append "$1" --lines > append.out 2>&1 || fail "our log append: $(cat append.out)"; }
printf 'a\nb\nc\n' | append L

export AICS_WITNESS_CONFIG=$PWD/aicsw/witness.json
mkdir -p aicsw
"$V/bin/aics-witness" init --name interop.example/aics-w > aicsw/init.out 2>&1 || fail "aics-witness init: $(cat aicsw/init.out)"
WVKEY=$(grep -Eo 'interop\.example/aics-w\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+' aicsw/init.out | head -1)
[ -n "$WVKEY" ] || fail "no witness vkey in: $(cat aicsw/init.out)"
ok "aics-witness init: $WVKEY"
"$V/bin/aics-witness" add-log --origin $ORIGIN --vkey "$LOGVKEY" > aicsw/add-log.out 2>&1 \
    || fail "aics-witness add-log: $(cat aicsw/add-log.out)"
"$V/bin/aics-witness" serve --listen 127.0.0.1:"$PORT" > serve.log 2>&1 &
SPID=$!
for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" > /dev/null 2>&1 && break
    kill -0 "$SPID" 2>/dev/null || fail "aics-witness serve stopped"
    sleep 0.1
done
curl -fsS "http://127.0.0.1:$PORT/healthz" > /dev/null 2>&1 || fail "aics-witness serve did not listen on $PORT in 10 s"
ok "aics-witness serve listens on 127.0.0.1:$PORT"

URL=http://127.0.0.1:$PORT
"$B" witness run --url "$URL" --witness "$WVKEY" --ledger L > run1.out 2>&1 || fail "witness run (size 3): $(cat run1.out)"
ok "our witness run --url: size 3 cosigned by aics-witness and attached ($(tr '\n' ' ' < run1.out))"
printf 'd\ne\n' | append L
"$B" witness run --url "$URL" --witness "$WVKEY" --ledger L > run2.out 2>&1 || fail "witness run (size 5): $(cat run2.out)"
grep -q 'refused (409)' serve.log || fail "aics-witness did not answer 409 to old size 0"
ok "our witness run --url: size 5 cosigned after a 409 (their server held size 3) ($(tr '\n' ' ' < run2.out))"

"$V/bin/aics-tlog" verify-checkpoint --note L/log/checkpoint --origin $ORIGIN \
    --log-key "$LOGVKEY" --witness-key "$WVKEY" --quorum 1 > verify.json 2>&1 \
    || fail "aics-tlog verify-checkpoint: $(cat verify.json)"
grep -q '"size": 5' verify.json || fail "aics-tlog verify-checkpoint: not size 5: $(cat verify.json)"
ok "aics-tlog verify-checkpoint: our log signature and their cosignature, quorum 1, size 5"

"$B" init L2 --origin $ORIGIN > init2.out 2>&1 || fail "our init (second key)"
printf 'x\ny\nz\nw\nv\nu\n' | append L2
"$B" witness run --url "$URL" --witness "$WVKEY" --ledger L2 > run3.out 2>&1
rc=$?
[ $rc -eq 1 ] || fail "witness run with a checkpoint signed by another key: exit $rc, expected 1: $(cat run3.out)"
grep -q '403' run3.out serve.log || fail "no 403 for the checkpoint signed by another key: $(cat run3.out)"
ok "aics-witness refused a checkpoint of $ORIGIN signed by another key (403); our client exited 1"

stop
echo "verified"
