// Jiaogong — a small module that makes the server-rendered pages nicer. Everything works
// without it: forms post, links navigate. With it: filters and pages update in place,
// destructive actions ask first, forms cannot be sent twice, typing is kept in the
// browser until it is sent, and uploads show progress.

const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

async function swap(url, target, push) {
  const box = document.querySelector(target);
  if (!box) { location.href = url; return; }
  box.setAttribute("aria-busy", "true");
  try {
    const res = await fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" });
    if (!res.ok) { location.href = url; return; }
    box.innerHTML = await res.text();
    if (push) history.replaceState(null, "", url);
    bind(box);
  } catch (_) {
    location.href = url;
  } finally {
    box.removeAttribute("aria-busy");
  }
}

function formUrl(form) {
  const params = new URLSearchParams(new FormData(form));
  for (const [k, v] of Array.from(params.entries())) if (v === "") params.delete(k);
  const qs = params.toString();
  return form.action.split("?")[0] + (qs ? "?" + qs : "");
}

function bind(root) {
  // Filters: update the results without reloading the page.
  for (const form of $$("form[data-partial]", root)) {
    const target = form.dataset.partial;
    let timer;
    form.addEventListener("submit", (e) => { e.preventDefault(); swap(formUrl(form), target, true); });
    form.addEventListener("change", (e) => { if (e.target.matches("select")) swap(formUrl(form), target, true); });
    form.addEventListener("input", (e) => {
      if (!e.target.matches("input[type=search]")) return;
      clearTimeout(timer);
      timer = setTimeout(() => swap(formUrl(form), target, true), 350);
    });
  }
  for (const a of $$("a[data-partial-link]", root)) {
    a.addEventListener("click", (e) => { e.preventDefault(); swap(a.href, a.dataset.partialLink, true); });
  }
  // Confirmation before destructive or final actions.
  for (const form of $$("form[data-confirm]", root)) {
    form.addEventListener("submit", (e) => { if (!confirm(form.dataset.confirm)) { e.preventDefault(); e.stopImmediatePropagation(); } });
  }
  // No double submit.
  for (const form of $$("form[data-once]", root)) {
    form.addEventListener("submit", (e) => {
      if (e.defaultPrevented) return;
      if (form.dataset.sent) { e.preventDefault(); return; }
      form.dataset.sent = "1";
      // A disabled button is left out of what the form sends: keep the pressed one's
      // name and value (e.g. "confirm" or "change" on the ballot).
      const s = e.submitter;
      if (s && s.name) {
        const h = document.createElement("input");
        h.type = "hidden"; h.name = s.name; h.value = s.value;
        form.appendChild(h);
      }
      for (const b of $$("button[type=submit]", form)) b.disabled = true;
    });
  }
  // Warn before leaving a long form with changes.
  for (const form of $$("form[data-warn-unsaved]", root)) {
    let dirty = false;
    form.addEventListener("input", () => { dirty = true; });
    form.addEventListener("submit", () => { dirty = false; });
    window.addEventListener("beforeunload", (e) => { if (dirty) { e.preventDefault(); e.returnValue = ""; } });
  }
  // Keep what is typed in this browser until the form is sent.
  for (const form of $$("form[data-autosave]", root)) {
    const key = "jg-draft:" + form.dataset.autosave;
    const fields = $$("input:not([type=hidden]):not([type=password]):not([type=file]), select, textarea", form);
    const hasErrors = form.closest("section")?.querySelector(".field-error");
    try {
      const saved = JSON.parse(localStorage.getItem(key) || "null");
      const pristine = fields.every((f) => f.value === f.defaultValue || f.tagName === "SELECT");
      if (saved && pristine && !hasErrors) {
        for (const f of fields) if (f.name in saved && f.name !== "id_number" && f.name !== "phone") f.value = saved[f.name];
      }
    } catch (_) { /* storage unavailable */ }
    form.addEventListener("input", () => {
      const data = {};
      // Personal numbers are not kept in the browser.
      for (const f of fields) if (f.name && f.name !== "id_number" && f.name !== "phone") data[f.name] = f.value;
      try { localStorage.setItem(key, JSON.stringify(data)); } catch (_) { /* full */ }
    });
    form.addEventListener("submit", () => { try { localStorage.removeItem(key); } catch (_) { /* ignore */ } });
  }
  // Field checks as soon as a field is left.
  for (const input of $$("form input, form select, form textarea", root)) {
    input.addEventListener("blur", () => input.classList.add("touched"), { once: true });
  }
  // Progress of long work, pushed by the server.
  for (const box of $$("[data-sse]", root)) {
    if (!window.EventSource) continue;
    // The page refreshes itself without JavaScript; with it, the bar moves instead.
    for (const m of $$("meta[http-equiv=refresh]")) m.remove();
    const bar = box.querySelector("progress");
    const text = box.querySelector(".progress-text");
    const es = new EventSource(box.dataset.sse);
    es.addEventListener("progress", (e) => {
      const d = JSON.parse(e.data);
      if (bar && d.done !== null) { bar.value = d.done; if (text) text.textContent = d.done + " / " + d.total; }
    });
    es.addEventListener("done", () => { es.close(); location.reload(); });
    es.addEventListener("error", () => { es.close(); setTimeout(() => location.reload(), 2000); });
  }
  for (const form of $$("form[data-autosubmit]", root)) {
    form.addEventListener("change", () => form.submit());
  }
  for (const b of $$("[data-print]", root)) b.addEventListener("click", () => window.print());
  // The live attendance board: aggregate counts over server-sent events. The texts are in
  // the page; only numbers arrive.
  for (const el of $$("[data-board]", root)) {
    if (!window.EventSource) continue;
    for (const n of $$(".noscript-only", el)) n.hidden = true;
    const es = new EventSource(el.dataset.board);
    es.addEventListener("board", (e) => {
      let d;
      try { d = JSON.parse(e.data); } catch (_) { return; }
      for (const [k, v] of Object.entries(d)) for (const t of $$(`[data-k="${k}"]`, el)) t.textContent = v;
      for (const t of $$("[data-when]", el)) t.hidden = (t.dataset.when === "met") !== Boolean(d.met);
      el.classList.toggle("quorum-met", Boolean(d.met));
      el.dataset.updated = String(Date.now());
    });
  }
  // Upload progress.
  for (const form of $$("form[data-progress]", root)) {
    form.addEventListener("submit", (e) => {
      if (e.defaultPrevented || !window.XMLHttpRequest) return;
      e.preventDefault();
      const bar = form.querySelector("progress");
      if (bar) bar.hidden = false;
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.addEventListener("progress", (ev) => { if (bar && ev.lengthComputable) bar.value = Math.round((ev.loaded / ev.total) * 100); });
      xhr.addEventListener("load", () => {
        if (xhr.status < 400 && xhr.responseURL && !xhr.responseURL.endsWith(form.getAttribute("action"))) {
          location.href = xhr.responseURL;
        } else {
          document.open(); document.write(xhr.responseText); document.close();
        }
      });
      xhr.addEventListener("error", () => form.submit());
      xhr.send(new FormData(form));
    });
  }
}

// A page restored from the back-forward cache gets its buttons back.
window.addEventListener("pageshow", (e) => {
  if (e.persisted) for (const f of $$("form[data-sent]")) { delete f.dataset.sent; for (const b of $$("button[type=submit]", f)) b.disabled = false; }
});
// The phone menu toggles in place rather than through the #menu anchor.
for (const t of $$(".menu-toggle")) {
  t.addEventListener("click", (e) => {
    e.preventDefault();
    const nav = document.getElementById("menu");
    const open = nav.classList.toggle("open");
    t.setAttribute("aria-expanded", open ? "true" : "false");
  });
}
// Close the open menus when clicking elsewhere.
document.addEventListener("click", (e) => {
  for (const d of $$("details.usermenu[open]")) if (!d.contains(e.target)) d.open = false;
});
bind(document);
