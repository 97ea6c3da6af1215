"""Drives Debian's headless Chromium over the DevTools protocol
(websocket-client, pinned in interop/requirements.txt) to verify packs in
the verifier page, as a reader would by opening `page#pack=BASE64URL`.

    verifier_page.py [--reuse] PAGE PACK... > results (one JSON object per line)

For each pack the page is loaded afresh with the pack in its URL fragment
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
    page, packs = args[0], args[1:]
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--remote-debugging-port=0",
             "--user-data-dir=" + profile, "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
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
            run(ws, page, packs, reuse)
        finally:
            proc.kill()
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
        deadline = time.time() + 60
        while s.value("document.body && document.body.dataset.state") != "done":
            if time.time() > deadline:
                sys.exit(f"{pack}: the page did not finish in 60 s")
            time.sleep(0.005)
        # From opening the page to its answer shown (to within the 5 ms poll):
        # the page read, the module decompressed and compiled, the pack
        # verified and the reports drawn.
        shown_ms = (time.perf_counter() - opened) * 1000
        answer = json.loads(s.value("document.getElementById('json').textContent"))
        ms = float(s.value("document.body.dataset.ms"))
        console = []
        for e in s.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.consoleAPICalled":
                console.append(" ".join(str(a.get("value", a.get("description"))) for a in p.get("args", [])))
            elif m == "Runtime.exceptionThrown":
                console.append("exception: " + json.dumps(p.get("exceptionDetails", {}).get("exception", {}).get("description")))
            elif m == "Log.entryAdded":
                console.append(p["entry"].get("level", "") + ": " + p["entry"].get("text", ""))
        print(json.dumps({"pack": pack, "answer": answer, "ms": ms, "shown_ms": round(shown_ms, 1), "console": console}), flush=True)


if __name__ == "__main__":
    main()
