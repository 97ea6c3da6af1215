"use strict";
// triage-ledger's verifier page: the offline verifier (WebAssembly, inlined
// above gzip-compressed as WASM_GZ) checks packs against a trust directory, in this page only.
// Nothing is fetched or sent: the page's Content-Security-Policy allows no
// connection, and this script is the only one it runs (named by its hash).
(function () {
  const $ = (id) => document.getElementById(id);
  const enc = new TextEncoder();
  const fromB64 = (s) => {
    const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  };
  let wasm = null;
  let chosenTrust = null; // [[path, bytes]] from the reader's directory
  const packs = []; // [[name, bytes]]

  function frame(records) {
    let n = 0;
    const parts = records.map(([name, data]) => {
      const nb = enc.encode(name);
      n += 8 + nb.length + data.length;
      return [nb, data];
    });
    const out = new Uint8Array(n);
    const view = new DataView(out.buffer);
    let at = 0;
    for (const [nb, data] of parts) {
      view.setUint32(at, nb.length, true); at += 4;
      out.set(nb, at); at += nb.length;
      view.setUint32(at, data.length, true); at += 4;
      out.set(data, at); at += data.length;
    }
    return out;
  }

  function trustRecords() {
    if (chosenTrust) return chosenTrust;
    if (TRUST) return TRUST.files.map(([p, b]) => ["trust:" + p, fromB64(b)]).concat([["trust-name", enc.encode(TRUST.name)]]);
    return [];
  }

  function verify() {
    const records = [["now", enc.encode(String(Math.floor(Date.now() / 1000)))]]
      .concat(trustRecords())
      .concat(packs.map(([n, b]) => ["pack:" + n, b]));
    const input = frame(records);
    const t0 = performance.now();
    let result;
    try {
      const ptr = wasm.tl_input(input.length);
      new Uint8Array(wasm.memory.buffer, ptr, input.length).set(input);
      const len = wasm.tl_run();
      const out = new Uint8Array(wasm.memory.buffer, wasm.tl_output(), len);
      result = JSON.parse(new TextDecoder().decode(out));
    } catch (e) {
      // A trap leaves the module unusable: reload the page to try again.
      result = { error: "the verifier stopped (" + e + "): nothing was verified; reload the page" };
    }
    const ms = performance.now() - t0;
    show(result, ms);
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function show(result, ms) {
    const out = $("results");
    out.replaceChildren();
    $("json").textContent = JSON.stringify(result);
    document.body.dataset.ms = ms.toFixed(1);
    if (result.error) {
      out.append(el("div", "verdict failed", result.error));
    } else {
      $("trust-used").textContent = "Trust: " + result.trust.name + " (log " + result.trust.logs.join(", log ") + "; " + result.trust.witnesses + " witnesses)";
      for (const p of result.packs) {
        const sec = el("section", "pack");
        sec.append(el("h2", null, p.name));
        if (p.error) {
          sec.append(el("div", "verdict failed", "NOT VERIFIED: " + p.error));
        } else {
          sec.append(el("div", "verdict " + (p.verified ? "verified" : "failed"), p.verdict));
          sec.append(el("pre", "checks", p.text));
          for (const f of p.facilities) {
            const d = el("details");
            d.open = p.facilities.length === 1;
            d.append(el("summary", null, "Report of facility " + f.id));
            const frame = el("iframe");
            frame.setAttribute("sandbox", "");
            frame.title = "Report of facility " + f.id;
            frame.srcdoc = f.html;
            d.append(frame);
            sec.append(d);
          }
        }
        out.append(sec);
      }
      $("timing").textContent = "Verified in this page in " + ms.toFixed(0) + " ms.";
    }
    document.body.dataset.state = "done";
  }

  async function readFiles(list) {
    const out = [];
    for (const f of list) out.push([f, new Uint8Array(await f.arrayBuffer())]);
    return out;
  }

  function fragmentPacks() {
    const h = location.hash.replace(/^#/, "");
    if (!h) return [];
    return h.split("&").filter((kv) => kv.startsWith("pack=")).map((kv, i) => ["pack-" + (i + 1) + " (from the link)", fromB64(decodeURIComponent(kv.slice(5)))]);
  }

  async function boot() {
    try {
      const gz = new Blob([fromB64(WASM_GZ)]).stream().pipeThrough(new DecompressionStream("gzip"));
      const bytes = await new Response(gz).arrayBuffer();
      const { instance } = await WebAssembly.instantiate(bytes, {});
      wasm = instance.exports;
    } catch (e) {
      $("results").replaceChildren(el("div", "verdict failed", "This browser could not start the verifier: " + e));
      document.body.dataset.state = "done";
      return;
    }
    $("trust-used").textContent = TRUST ? "Trust: " + TRUST.name + " (built into this page)" : "Trust: none yet: choose the scheme's trust directory.";
    $("packs").addEventListener("change", async (ev) => {
      packs.length = 0;
      for (const [f, b] of await readFiles(ev.target.files)) packs.push([f.name, b]);
      verify();
    });
    $("trust").addEventListener("change", async (ev) => {
      const files = await readFiles(ev.target.files);
      // A directory chosen: paths below it (tsa/x.pem); files chosen: their names.
      const rel = (f) => (f.webkitRelativePath ? f.webkitRelativePath.split("/").slice(1).join("/") : f.name);
      chosenTrust = files.map(([f, b]) => ["trust:" + rel(f), b]);
      const top = files.length ? (files[0][0].webkitRelativePath || "").split("/")[0] : "";
      const name = top || "the chosen files";
      chosenTrust.push(["trust-name", enc.encode(name)]);
      $("trust-used").textContent = "Trust: " + name + " (chosen in this page: " + files.length + " files)";
      if (packs.length) verify();
    });
    const drop = $("drop");
    drop.addEventListener("dragover", (ev) => { ev.preventDefault(); drop.classList.add("over"); });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", async (ev) => {
      ev.preventDefault();
      drop.classList.remove("over");
      packs.length = 0;
      for (const [f, b] of await readFiles(ev.dataTransfer.files)) packs.push([f.name, b]);
      verify();
    });
    // A link to this page with other packs (or a reader editing the
    // address) changes only the fragment: verify those.
    window.addEventListener("hashchange", () => {
      const linked = fragmentPacks();
      if (!linked.length) return;
      packs.length = 0;
      for (const p of linked) packs.push(p);
      verify();
    });
    for (const p of fragmentPacks()) packs.push(p);
    if (packs.length) verify();
    else document.body.dataset.state = "ready";
  }
  boot();
})();
