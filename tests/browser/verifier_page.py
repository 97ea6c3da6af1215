"""Drives Debian's headless Chromium over the DevTools protocol
(websocket-client, pinned in interop/requirements.txt) to verify packs in
the verifier page, as a reader would by opening `page#pack=BASE64URL`.

    verifier_page.py [--reuse] PAGE PACK... > results (one JSON object per line)
    verifier_page.py --choose TRUST-DIR PAGE PACK... > result (one line)

With --choose, the page is opened with no fragment and the reader's
choices are made in its file inputs (DevTools' DOM.setFileInputFiles, as
a person choosing in the browser's dialog): the trust directory, then the
packs. Otherwise, for each pack the page is loaded afresh with the pack in its URL fragment
(with --reuse, only the first: the others are given by changing the
fragment, as a second link to the page would);
the script waits until the page says it is done and prints what it shows:
the page's JSON answer, the time the page measured around the verifier
(`ms`), the time from opening the page to its answer (`shown_ms`), and every console message and exception (a Content-Security-Policy
violation is one). Used by tests/it/verifier_page.rs and
benches/verifier_page.sh.
"""
import base64
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


def main():
    args = sys.argv[1:]
    reuse = bool(args) and args[0] == "--reuse"
    if reuse:
        args = args[1:]
    choose = None
    if args and args[0] == "--choose":
        choose, args = args[1], args[2:]
    page, packs = args[0], args[1:]
    # Chromium's helpers may still be writing its profile when it is
    # stopped: the directory's removal must not fail the run.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        proc = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--remote-debugging-port=0",
             "--user-data-dir=" + profile, "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True)
        try:
            port = None
            for line in proc.stderr:
                if "DevTools listening on ws://" in line:
                    port = line.split("ws://")[1].split("/")[0].split(":")[1]
                    break
            if port is None:
                sys.exit("chromium did not start its DevTools endpoint")
            targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
            url = next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"]
            ws = websocket.create_connection(url, suppress_origin=True, timeout=60)
            if choose:
                run_choosing(ws, page, choose, packs)
            else:
                run(ws, page, packs, reuse)
        finally:
            # Chromium and every helper it started (its own process group).
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()


class Session:
    def __init__(self, ws):
        self.ws, self.n, self.events = ws, 0, []

    def call(self, method, **params):
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.n:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def value(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        return r.get("result", {}).get("value")


def wait_for(s, state, what):
    deadline = time.time() + 60
    while s.value("document.body && document.body.dataset.state") != state:
        if time.time() > deadline:
            sys.exit(f"{what}: the page did not reach {state!r} in 60 s")
        time.sleep(0.005)


def console_of(s):
    console = []
    for e in s.events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.consoleAPICalled":
            console.append(" ".join(str(a.get("value", a.get("description"))) for a in p.get("args", [])))
        elif m == "Runtime.exceptionThrown":
            console.append("exception: " + json.dumps(p.get("exceptionDetails", {}).get("exception", {}).get("description")))
        elif m == "Log.entryAdded":
            console.append(p["entry"].get("level", "") + ": " + p["entry"].get("text", ""))
    return console


def run_choosing(ws, page, trust, packs):
    s = Session(ws)
    for domain in ("Runtime", "Log", "Page", "DOM"):
        s.call(domain + ".enable")
    s.call("Page.navigate", url=f"file://{page}")
    wait_for(s, "ready", page)
    doc = s.call("DOM.getDocument")["root"]["nodeId"]

    def choose(selector, files):
        node = s.call("DOM.querySelector", nodeId=doc, selector=selector)["nodeId"]
        s.call("DOM.setFileInputFiles", files=files, nodeId=node)

    # A directory input takes the directory itself, as the browser's dialog gives it.
    trust_files = [os.path.abspath(trust)]
    choose("#trust", trust_files)
    deadline = time.time() + 30
    while "chosen in this page" not in (s.value("document.getElementById('trust-used').textContent") or ""):
        if time.time() > deadline:
            sys.exit("the page did not take the chosen trust in 30 s")
        time.sleep(0.01)
    choose("#packs", packs)
    wait_for(s, "done", "the chosen packs")
    answer = json.loads(s.value("document.getElementById('json').textContent"))
    print(json.dumps({"answer": answer, "console": console_of(s)}), flush=True)


def run(ws, page, packs, reuse):
    s = Session(ws)
    for domain in ("Runtime", "Log", "Page"):
        s.call(domain + ".enable")
    last = None
    for pack in packs:
        with open(pack, "rb") as f:
            b64 = base64.urlsafe_b64encode(f.read()).decode().rstrip("=")
        s.events.clear()
        opened = time.perf_counter()
        # The same fragment again would not change the page: load it afresh.
        if reuse and last is not None and b64 != last:
            s.value(f"document.body.dataset.state = 'waiting'; location.hash = 'pack={b64}'; 1")
        else:
            s.call("Page.navigate", url="about:blank")
            s.events.clear()
            opened = time.perf_counter()
            s.call("Page.navigate", url=f"file://{page}#pack={b64}")
        last = b64
        wait_for(s, "done", pack)
        # From opening the page to its answer shown (to within the 5 ms poll):
        # the page read, the module decompressed and compiled, the pack
        # verified and the reports drawn.
        shown_ms = (time.perf_counter() - opened) * 1000
        answer = json.loads(s.value("document.getElementById('json').textContent"))
        ms = float(s.value("document.body.dataset.ms"))
        console = console_of(s)
        print(json.dumps({"pack": pack, "answer": answer, "ms": ms, "shown_ms": round(shown_ms, 1), "console": console}), flush=True)


if __name__ == "__main__":
    main()
