"""tlog-witness over HTTP: triage-ledger's server (`witness serve`) <- aics-witness's client (PyPI, WitnessClient).

usage: target/interop/venv/bin/python interop/witness_aics_client.py PORT WORKDIR
  PORT     a free TCP port on 127.0.0.1 for our witness (0: any; the URL it prints is used)
  WORKDIR  a directory to create (must not exist, or be empty)
environment: TRIAGE_LEDGER  our binary (default: triage-ledger on PATH)

1. our `init` + `log append` make a ledger of 3 entries, `witness new` +
   `witness add-log` a witness of it, and `witness serve` serves it on
   127.0.0.1:PORT (waited for: the "listening on" line it prints);
2. aics-witness's WitnessClient (with a state file) submits size 3 (old 0),
   then size 7 (old 3, consistency proof from `log prove --from`); a second
   client without state submits size 8 (old 0: our server answers 409 with the
   size it holds, the client retries from there). Each answer is merged into
   the checkpoint (merge_cosignatures) and aics_tlog.verify_checkpoint checks
   our log signature and our witness's cosignature (quorum 1);
3. refusals our server must give, as WitnessRejected with the status:
   403 for a checkpoint of the origin signed by another key; 422 for a larger
   checkpoint signed by the log's own key whose consistency proof is wrong;
   409 for a checkpoint of the size it holds with another root (a split view);
4. SIGTERM stops our server, which must exit 0.
Exit 0 when all of that held, 1 when something did not, 2 usage (see interop/_peers.py).
"""

import argparse
import base64
import os
import selectors
import signal
import subprocess
import time
from pathlib import Path

import aics_tlog as t
from aics_witness.feeder import WitnessClient, WitnessRejected, merge_cosignatures
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import _peers as p

B = os.environ.get("TRIAGE_LEDGER", "triage-ledger")
ORIGIN = "interop.example/wlog-b"


def ours(*args, input=None):
    r = subprocess.run([B, *args], capture_output=True, text=True, input=input)
    if r.returncode:
        raise p.Failed(f"triage-ledger {' '.join(args)}: exit {r.returncode}: {r.stdout}{r.stderr}")
    return r.stdout


def start_server(port: int, log):
    srv = subprocess.Popen([B, "witness", "serve", "WD", "--listen", f"127.0.0.1:{port}"],
                           stdout=subprocess.PIPE, stderr=log, text=True)
    sel = selectors.DefaultSelector()
    sel.register(srv.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not sel.select(timeout=deadline - time.monotonic()):
            break
        line = srv.stdout.readline()
        if not line:
            raise p.Failed(f"our witness serve stopped before listening (exit {srv.wait()})")
        if line.startswith("listening on "):
            return srv, line.split()[-1]
    srv.kill()
    raise p.Failed("our witness serve did not print 'listening on' within 10 s")


def run(a):
    w = Path(a.workdir)
    if w.exists() and any(w.iterdir()):
        parser.error(f"{w} exists and is not empty")
    w.mkdir(parents=True, exist_ok=True)
    os.chdir(w)
    ours("init", "L", "--origin", ORIGIN)
    log_vkey = ours("log", "vkey", "L").strip()
    ours("log", "append", "L", "--lines", input="a\nb\nc\n")
    ours("witness", "new", "--name", "interop.example/tl-w", "WD")
    wvkey = Path("WD/witness.vkey").read_text().strip()
    ours("witness", "add-log", "--vkey", log_vkey, "WD")
    p.ok(f"our log {log_vkey}, our witness {wvkey}")

    with open("serve.log", "w") as log:
        srv, url = start_server(a.port, log)
        try:
            p.ok(f"our witness serve listens on {url}")
            exercise(url, log_vkey, wvkey)
        finally:
            if srv.poll() is None:
                srv.send_signal(signal.SIGTERM)
            try:
                code = srv.wait(timeout=10)
            except subprocess.TimeoutExpired:
                srv.kill()
                srv.wait()
                raise p.Failed("our witness serve did not stop within 10 s of SIGTERM")
    log_text = Path("serve.log").read_text()
    p.check(code == 0, f"our witness serve exited {code} on SIGTERM (0 expected)")
    p.check("status=409" in log_text, "our server's log shows the 409 it answered")


def proof_from_ours(old, new):
    out = ours("log", "prove", "L", "--from", str(old))
    return [base64.b64decode(line) for line in out.splitlines() if line]


def submit_and_check(client, label, log_vkey, wvkey):
    note = Path("L/log/checkpoint").read_bytes()
    line = client.submit(note, proof_from_ours)
    merged = merge_cosignatures(note, line)
    res = t.verify_checkpoint(t.parse_note(merged), t.parse_vkey(log_vkey), [t.parse_vkey(wvkey)], quorum=1)
    if not res.ok:
        raise p.Failed(f"{label}: aics_tlog.verify_checkpoint of the merged note: {res.error}")
    p.ok(f"{label}: WitnessClient.submit got our cosignature; merged checkpoint size {res.size} "
         f"verifies (log signature + {res.witnesses})")


def expect_refusal(client, note: bytes, proof, status: int, what: str):
    try:
        client.submit(note, proof)
    except WitnessRejected as e:
        p.check(e.status == status, f"{what}: our server refused it with {e.status} ({e.message})")
        return
    raise p.Failed(f"{what}: our server cosigned it")


def exercise(url, log_vkey, wvkey):
    client = WitnessClient(url, wvkey, state_path="client-state.json", max_attempts=1)
    submit_and_check(client, "size 3, old 0", log_vkey, wvkey)
    ours("log", "append", "L", "--lines", input="d\ne\nf\ng\n")
    submit_and_check(client, "size 7, old 3", log_vkey, wvkey)
    ours("log", "append", "L", "--lines", input="h\n")
    fresh = WitnessClient(url, wvkey, max_attempts=1)  # no state: starts from old 0, gets 409
    submit_and_check(fresh, "size 8 by a client without state (409, then old 7)", log_vkey, wvkey)

    cp = t.parse_checkpoint(t.parse_note(Path("L/log/checkpoint").read_bytes()).text)
    forged = t.sign_checkpoint(t.Checkpoint(cp.origin, cp.size + 1, b"\x11" * 32),
                               Ed25519PrivateKey.generate(), cp.origin).to_bytes()
    expect_refusal(fresh, forged, proof_from_ours, 403, "a checkpoint signed by another key")
    name, _, _, log_sk = p.read_note_private_key("L/private/log.key")
    bad_proof = t.sign_checkpoint(t.Checkpoint(cp.origin, cp.size + 1, b"\x22" * 32), log_sk, name).to_bytes()
    expect_refusal(fresh, bad_proof, lambda old, new: [b"\x33" * 32], 422,
                   "a larger checkpoint signed by the log key with a wrong consistency proof")
    split = t.sign_checkpoint(t.Checkpoint(cp.origin, cp.size, b"\x44" * 32), log_sk, name).to_bytes()
    expect_refusal(fresh, split, proof_from_ours, 409, "a checkpoint of the size it holds with another root")


parser = argparse.ArgumentParser(prog="witness_aics_client.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("port", type=int)
parser.add_argument("workdir")
p.main(run, parser)
