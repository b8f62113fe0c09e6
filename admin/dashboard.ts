/**
 * The operator dashboard: one self-contained page (no external scripts, styles or fonts) served by
 * the worker under /__admin/. It talks to the admin API with the bearer token, which it asks for
 * once and keeps in sessionStorage (never in a URL or a cookie).
 */

/** Security headers for the dashboard page: the inline script runs only with this response's nonce. */
export function dashboardHeaders(nonce: string): Record<string, string> {
  return {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-security-policy": `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
  };
}

export function renderDashboard(nonce: string, apiPrefix: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edge-router</title>
<style>
  :root { --bg: #f6f7f9; --card: #fff; --ink: #1d2430; --muted: #667085; --line: #e3e6eb; --legacy: #b26b00; --new: #0a7d3b; --bad: #c4281c; --warn: #a15c00; --ok: #0a7d3b; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--ink); }
  header { display: flex; align-items: center; gap: 1rem; padding: .75rem 1.25rem; background: #111827; color: #fff; }
  header h1 { font-size: 1.05rem; margin: 0; letter-spacing: .02em; }
  header .spacer { flex: 1; }
  header .meta { color: #cbd5e1; font-size: .85rem; }
  main { max-width: 1180px; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
  .banner { padding: .75rem 1rem; border-radius: 8px; margin-bottom: 1rem; font-weight: 600; }
  .banner.killed { background: #fde8e6; color: var(--bad); border: 1px solid #f5b5ae; }
  .banner.info { background: #e8f1fd; color: #1d4f91; border: 1px solid #b9d3f5; }
  .banner.error { background: #fff4e5; color: var(--warn); border: 1px solid #f3cf99; }
  .card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 1rem 1.1rem; margin-bottom: 1rem; }
  .row { display: flex; align-items: center; gap: .75rem; flex-wrap: wrap; }
  .rollout-head h2 { margin: 0; font-size: 1.1rem; }
  .badge { display: inline-block; padding: .1rem .55rem; border-radius: 999px; font-size: .78rem; font-weight: 700; text-transform: uppercase; letter-spacing: .04em; }
  .badge.live { background: #e3f5ea; color: var(--ok); }
  .badge.paused { background: #fff4e5; color: var(--warn); }
  .badge.killed { background: #fde8e6; color: var(--bad); }
  .badge.complete { background: #e8f1fd; color: #1d4f91; }
  .muted { color: var(--muted); }
  .bar { position: relative; height: 10px; background: #f1dfc4; border-radius: 6px; overflow: hidden; min-width: 220px; flex: 1; }
  .bar > span { position: absolute; inset: 0 auto 0 0; background: var(--new); }
  .pct { font-size: 1.6rem; font-weight: 700; min-width: 5.5rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { color: var(--muted); font-weight: 600; font-size: .8rem; text-transform: uppercase; letter-spacing: .03em; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .variant-legacy { color: var(--legacy); font-weight: 700; }
  .variant-new { color: var(--new); font-weight: 700; }
  .grid { display: grid; grid-template-columns: minmax(0, 1.2fr) minmax(0, 1fr); gap: 1rem; margin-top: .75rem; }
  @media (max-width: 860px) { .grid { grid-template-columns: 1fr; } }
  .verdict { padding: .5rem .7rem; border-radius: 6px; margin-top: .5rem; }
  .verdict.healthy { background: #e3f5ea; color: var(--ok); }
  .verdict.breach { background: #fde8e6; color: var(--bad); }
  .verdict.inconclusive, .verdict.no-guard { background: #f1f3f6; color: var(--muted); }
  button { font: inherit; padding: .4rem .8rem; border-radius: 6px; border: 1px solid #c9ced6; background: #fff; cursor: pointer; font-weight: 600; }
  button:hover { background: #f3f4f6; }
  button.danger { background: var(--bad); color: #fff; border-color: var(--bad); }
  button.danger:hover { background: #a82016; }
  button.primary { background: #1d4f91; color: #fff; border-color: #1d4f91; }
  input[type=number], input[type=password], input[type=text] { font: inherit; padding: .35rem .5rem; border: 1px solid #c9ced6; border-radius: 6px; }
  input[type=number] { width: 6.5rem; }
  .actions { display: flex; gap: .5rem; flex-wrap: wrap; margin-top: .75rem; }
  dialog { border: 1px solid var(--line); border-radius: 10px; padding: 1.1rem 1.2rem; max-width: 460px; width: 92vw; }
  dialog::backdrop { background: rgba(17, 24, 39, .45); }
  dialog h3 { margin: 0 0 .5rem; }
  dialog .dialog-actions { display: flex; justify-content: flex-end; gap: .5rem; margin-top: 1rem; }
  dialog input[type=text] { width: 100%; margin-top: .5rem; }
  #login { max-width: 420px; margin: 4rem auto; }
  #login input { width: 100%; margin: .5rem 0 .75rem; }
  .chart { width: 100%; height: 90px; display: block; }
  .legend { font-size: .8rem; }
  .legend span { margin-right: .9rem; }
  .audit td { font-size: .85rem; }
  code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85em; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<header>
  <h1>edge-router</h1>
  <span class="meta" id="config-version"></span>
  <span class="spacer"></span>
  <span class="meta" id="updated"></span>
  <button id="kill-all" class="danger" hidden>KILL ALL</button>
  <button id="resume-all" hidden>RESUME ALL</button>
  <button id="logout" hidden>Sign out</button>
</header>
<main>
  <section id="login" class="card" hidden>
    <h2>Sign in</h2>
    <p class="muted">Paste the admin token (<code>ADMIN_TOKEN</code>). It is kept in this tab only (sessionStorage) and sent as a bearer token.</p>
    <form id="login-form">
      <input id="token" type="password" autocomplete="off" placeholder="admin token" aria-label="admin token">
      <button class="primary" type="submit">Sign in</button>
    </form>
    <p id="login-error" class="muted"></p>
  </section>
  <div id="messages"></div>
  <div id="global"></div>
  <section id="rollouts"></section>
  <section id="audit-card" class="card" hidden>
    <h2 style="margin-top:0">Audit log</h2>
    <table class="audit"><thead><tr><th>time</th><th>actor</th><th>action</th><th>rollout</th><th>change</th><th>reason</th></tr></thead><tbody id="audit"></tbody></table>
  </section>
</main>
<dialog id="confirm">
  <form method="dialog">
    <h3 id="confirm-title"></h3>
    <p id="confirm-text"></p>
    <input id="confirm-reason" type="text" placeholder="reason (goes into the audit log)" hidden>
    <div class="dialog-actions">
      <button value="cancel" type="submit">Cancel</button>
      <button id="confirm-ok" value="ok" type="submit" class="danger">Confirm</button>
    </div>
  </form>
</dialog>
<script nonce="${nonce}">
(() => {
  "use strict";
  const API = ${JSON.stringify(apiPrefix)};
  const TOKEN_KEY = "edge-router-admin-token";
  const POLL_MS = 2000;
  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem(TOKEN_KEY);
  let timer = null;
  let busy = false;
  /** Last state seen per rollout, so that inputs being edited are not overwritten. */
  const editing = new Set();

  const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
  const pct = (r) => (r == null ? "–" : (r * 100).toFixed(r < 0.01 && r > 0 ? 2 : 1) + "%");
  const ms = (v) => (v == null ? "–" : v < 10 ? v.toFixed(1) + " ms" : Math.round(v) + " ms");
  const ago = (iso) => {
    if (!iso) return "";
    const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
    return s < 60 ? s + " s ago" : s < 3600 ? Math.round(s / 60) + " min ago" : new Date(iso).toLocaleString();
  };
  const until = (iso) => {
    if (!iso) return "";
    const s = Math.max(0, Math.round((Date.parse(iso) - Date.now()) / 1000));
    return s < 120 ? s + " s" : Math.round(s / 60) + " min";
  };

  async function api(method, path, body, headers = {}) {
    const init = { method, headers: { authorization: "Bearer " + token, ...headers } };
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const res = await fetch(API + path, init);
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = { detail: text }; }
    return { status: res.status, ok: res.ok, data, etag: res.headers.get("etag") };
  }

  function message(kind, text) {
    const div = document.createElement("div");
    div.className = "banner " + kind;
    div.setAttribute("role", kind === "info" ? "status" : "alert");
    div.textContent = text;
    $("messages").replaceChildren(div);
    if (kind === "info") setTimeout(() => div.remove(), 8000);
  }

  function showLogin(error) {
    $("login").hidden = false;
    $("login-error").textContent = error || "";
    for (const id of ["kill-all", "resume-all", "logout", "audit-card"]) $(id).hidden = true;
    $("rollouts").replaceChildren();
    $("global").replaceChildren();
    if (timer) clearInterval(timer);
    timer = null;
  }

  $("login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    token = $("token").value.trim();
    const probe = await api("GET", "/rollouts");
    if (probe.status === 401) return showLogin("That token was refused (401).");
    sessionStorage.setItem(TOKEN_KEY, token);
    $("token").value = "";
    start();
  });

  $("logout").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    token = null;
    showLogin();
  });

  /** Asks for confirmation; resolves to { ok, reason }. */
  function confirmAction(title, text, { reason = false, danger = true } = {}) {
    const dialog = $("confirm");
    $("confirm-title").textContent = title;
    $("confirm-text").textContent = text;
    $("confirm-reason").hidden = !reason;
    $("confirm-reason").value = "";
    $("confirm-ok").className = danger ? "danger" : "primary";
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => resolve({ ok: dialog.returnValue === "ok", reason: $("confirm-reason").value.trim() }), { once: true });
      dialog.showModal();
      if (reason) $("confirm-reason").focus();
    });
  }

  /** Runs a write; explains a stale version (412) and shows the new state. */
  async function write(label, method, path, body, version) {
    busy = true;
    try {
      const headers = version != null ? { "if-match": '"' + version + '"' } : {};
      const res = await api(method, path, body, headers);
      if (res.status === 412) {
        message("error", label + ": someone else changed this rollout since you loaded it (now version " + res.data.current + "). The page shows the new state; check it and try again.");
      } else if (!res.ok) {
        const details = (res.data && res.data.errors || []).map((e) => e.pointer + ": " + e.message).join("; ");
        message("error", label + " failed (" + res.status + "): " + ((res.data && (res.data.detail || res.data.title)) || "") + (details ? " — " + details : ""));
      } else {
        message("info", label + (res.data.changed === false ? ": nothing to change." : ": done (version " + res.data.version + ")."));
      }
    } finally {
      busy = false;
      await refresh();
    }
  }

  function statusOf(r) {
    return r.status || (r.config.killed ? "killed" : "live");
  }

  /** Requests per slot (solid) and error rate (dashed, its own scale) for both variants. */
  function chart(series) {
    if (!series || series.length < 2) return '<p class="muted">No traffic yet.</p>';
    const w = 480, h = 90, pad = 4;
    const maxRequests = Math.max(1, ...series.flatMap((s) => [s.legacy.requests, s.new.requests]));
    const peak = Math.max(0, ...series.flatMap((s) => [s.legacy.errorRate || 0, s.new.errorRate || 0]));
    const maxRate = Math.max(peak, 0.01);
    const x = (i) => pad + (i * (w - 2 * pad)) / (series.length - 1);
    const y = (v, max) => h - pad - ((v || 0) / max) * (h - 2 * pad);
    const line = (key, field, max) => series.map((s, i) => (i ? "L" : "M") + x(i).toFixed(1) + " " + y(s[key][field], max).toFixed(1)).join(" ");
    const slot = Math.round((Date.parse(series[1].at) - Date.parse(series[0].at)) / 1000);
    const minutes = Math.round((series.length * slot) / 60);
    return '<svg class="chart" viewBox="0 0 ' + w + " " + h + '" preserveAspectRatio="none" role="img" aria-label="requests and error rate per variant over the last ' + minutes + ' minutes">' +
      '<path d="' + line("legacy", "requests", maxRequests) + '" fill="none" stroke="#b26b00" stroke-width="2"/>' +
      '<path d="' + line("new", "requests", maxRequests) + '" fill="none" stroke="#0a7d3b" stroke-width="2"/>' +
      '<path d="' + line("legacy", "errorRate", maxRate) + '" fill="none" stroke="#b26b00" stroke-width="1.5" stroke-dasharray="4 3"/>' +
      '<path d="' + line("new", "errorRate", maxRate) + '" fill="none" stroke="#c4281c" stroke-width="1.5" stroke-dasharray="4 3"/></svg>' +
      '<div class="legend muted"><span class="variant-legacy">legacy</span><span class="variant-new">new</span>last ' + minutes + " min: requests per " + slot + " s (solid, peak " + maxRequests + "), error rate (dashed" + (peak > 0 ? ", peak " + pct(peak) : ", no errors") + ")</div>";
  }

  function healthTable(h) {
    if (!h) return '<p class="muted">No health data.</p>';
    const row = (name) => {
      const v = h[name];
      return '<tr><td class="variant-' + name + '">' + name + '</td><td class="num">' + v.requests + '</td><td class="num">' + pct(v.errorRate) + '</td><td class="num">' + ms(v.p50) + '</td><td class="num">' + ms(v.p95) + '</td><td class="num">' + ms(v.p99) + "</td></tr>";
    };
    const verdict = h.verdict || { status: "no-guard", summary: "No guard configured." };
    return '<table><thead><tr><th>variant</th><th class="num">requests</th><th class="num">errors</th><th class="num">p50</th><th class="num">p95</th><th class="num">p99</th></tr></thead><tbody>' +
      row("legacy") + row("new") + "</tbody></table>" +
      '<p class="muted" style="margin:.35rem 0 0">last ' + h.windowSeconds + " s</p>" +
      '<div class="verdict ' + esc(verdict.status) + '" data-testid="verdict"><strong>' + esc(verdict.status) + "</strong> " + esc(verdict.summary || "") + "</div>";
  }

  function stageLine(r) {
    const s = r.stage;
    if (!s) return "";
    const parts = [s.index >= 0 ? "stage " + (s.index + 1) + " of " + s.count + " (" + s.percent + "%)" : "before stage 1 of " + s.count];
    if (s.waiting) parts.push(s.waiting);
    else if (s.nextDueAt && statusOf(r) === "live") parts.push("next in " + until(s.nextDueAt));
    return '<div class="muted" data-testid="stage">' + esc(parts.join(" · ")) + "</div>";
  }

  function renderRollout(r, health) {
    const status = statusOf(r);
    const c = r.config;
    const card = document.createElement("article");
    card.className = "card";
    card.dataset.rollout = r.id;
    const hasStages = !!r.stage;
    card.innerHTML =
      '<div class="row rollout-head"><h2>' + esc(r.id) + '</h2><span class="badge ' + status + '" data-testid="status">' + status + "</span>" +
      '<span class="muted">v' + r.version + " · " + esc(r.updatedBy) + " · " + ago(r.updatedAt) + "</span></div>" +
      (c.description ? '<p class="muted" style="margin:.25rem 0 0">' + esc(c.description) + "</p>" : "") +
      (r.killReason && status === "killed" ? '<p style="color:var(--bad);margin:.4rem 0 0">Killed: ' + esc(r.killReason) + "</p>" : "") +
      '<div class="row" style="margin-top:.6rem"><span class="pct" data-testid="percent">' + c.percent + '%</span><div class="bar" title="share of users on new"><span style="width:' + c.percent + '%"></span></div></div>' +
      stageLine(r) +
      '<div class="muted" style="margin-top:.3rem">' + esc((c.match.hosts.length ? c.match.hosts.join(", ") : "any host") + " · " + c.match.pathPrefixes.join(", ")) +
      ' · legacy <code>' + esc(c.origins.legacy) + '</code> · new <code>' + esc(c.origins.new) + "</code></div>" +
      '<div class="grid"><div>' + healthTable(health) + "</div><div>" + chart(health && health.series) + "</div></div>" +
      '<div class="actions">' +
      '<label class="row" style="gap:.4rem">set % <input type="number" min="0" max="100" step="0.01" data-field="percent" value="' + c.percent + '"></label>' +
      '<button data-action="set">Apply %</button>' +
      (hasStages ? '<button data-action="promote">PROMOTE</button>' : "") +
      (hasStages && status === "live" ? '<button data-action="pause">PAUSE</button>' : "") +
      (hasStages && status === "paused" ? '<button data-action="continue">CONTINUE</button>' : "") +
      (status === "killed" ? '<button data-action="resume" class="primary">RESUME</button>' : '<button data-action="kill" class="danger">KILL</button>') +
      "</div>";
    const input = card.querySelector("input[data-field=percent]");
    input.addEventListener("focus", () => editing.add(r.id));
    input.addEventListener("blur", () => editing.delete(r.id));
    card.querySelector(".actions").addEventListener("click", async (e) => {
      const action = e.target && e.target.dataset && e.target.dataset.action;
      if (!action) return;
      const path = "/rollouts/" + encodeURIComponent(r.id);
      if (action === "kill") {
        const answer = await confirmAction("Kill " + r.id + "?", "Every user of this rollout goes to legacy within a second, allowlists and overrides included.", { reason: true });
        if (answer.ok) await write("Kill " + r.id, "POST", path + "/kill", answer.reason ? { reason: answer.reason } : {}, r.version);
      } else if (action === "resume") {
        const answer = await confirmAction("Resume " + r.id + "?", "Users go back to their buckets at " + c.percent + "%.", { danger: false });
        if (answer.ok) await write("Resume " + r.id, "POST", path + "/resume", {}, r.version);
      } else if (action === "set") {
        editing.delete(r.id);
        const value = Number(input.value);
        const answer = await confirmAction("Set " + r.id + " to " + value + "%?", "From " + c.percent + "% to " + value + "%." + (value > c.percent ? " Users already on new stay on new." : " Some users on new go back to legacy."), { danger: value < c.percent });
        if (answer.ok) await write("Set " + r.id + " to " + value + "%", "PATCH", path, { percent: value }, r.version);
      } else {
        const text = { promote: "Move to the next stage now, without waiting for the hold.", pause: "Stop advancing through stages; the percentage stays.", continue: "Resume advancing through stages." }[action];
        const answer = await confirmAction(action.toUpperCase() + " " + r.id + "?", text, { danger: false });
        if (answer.ok) await write(action[0].toUpperCase() + action.slice(1) + " " + r.id, "POST", path + "/" + action, {}, r.version);
      }
    });
    return card;
  }

  function describeChange(e) {
    if (e.action === "kill-all" || e.action === "resume-all") return e.action === "kill-all" ? "global kill switch on" : "global kill switch off";
    const b = e.before || {}, a = e.after || {};
    if (!e.before) return "created";
    if (!e.after) return "deleted";
    const changes = [];
    for (const k of new Set([...Object.keys(b), ...Object.keys(a)])) {
      const show = (v) => (v === undefined ? "–" : typeof v === "object" ? "…" : String(v));
      if (JSON.stringify(b[k]) !== JSON.stringify(a[k])) changes.push(k + ": " + show(b[k]) + " → " + show(a[k]));
    }
    return changes.join(", ") || "no change";
  }

  async function refresh() {
    if (!token || busy) return;
    const list = await api("GET", "/rollouts").catch(() => null);
    if (!list) return message("error", "The router is not answering; retrying…");
    if (list.status === 401) return showLogin("Your token was refused (401); sign in again.");
    if (!list.ok) return message("error", "Could not load rollouts (" + list.status + ").");
    const rollouts = list.data.rollouts;
    const [healths, audit] = await Promise.all([
      Promise.all(rollouts.map((r) => api("GET", "/rollouts/" + encodeURIComponent(r.id) + "/health?window=60").then((h) => (h.ok ? h.data : null)).catch(() => null))),
      api("GET", "/audit?limit=25").catch(() => null),
    ]);
    $("config-version").textContent = "config v" + list.data.version;
    $("updated").textContent = "updated " + new Date().toLocaleTimeString();
    const g = list.data.globalKill;
    $("kill-all").hidden = g.killed;
    $("resume-all").hidden = !g.killed;
    $("global").innerHTML = g.killed ? '<div class="banner killed" data-testid="global-kill">GLOBAL KILL SWITCH ON — every rollout goes to legacy. ' + esc(g.reason ? "Reason: " + g.reason + " · " : "") + esc(g.by || "") + " " + ago(g.at) + "</div>" : "";
    const container = $("rollouts");
    const cards = rollouts.map((r, i) => {
      if (editing.has(r.id)) return container.querySelector('[data-rollout="' + CSS.escape(r.id) + '"]') || renderRollout(r, healths[i]);
      return renderRollout(r, healths[i]);
    });
    container.replaceChildren(...cards);
    if (!rollouts.length) container.innerHTML = '<div class="card muted">No rollouts yet. Create one with PUT ' + esc(API) + "/rollouts/&lt;id&gt;.</div>";
    if (audit && audit.ok) {
      $("audit-card").hidden = false;
      $("audit").innerHTML = audit.data.entries.map((e) =>
        "<tr><td>" + esc(new Date(e.at).toLocaleString()) + "</td><td>" + esc(e.actor) + "</td><td>" + esc(e.action) + "</td><td>" + esc(e.rolloutId || "(all)") + "</td><td>" + esc(describeChange(e)) + "</td><td>" + esc(e.reason || "") + "</td></tr>").join("");
    }
  }

  $("kill-all").addEventListener("click", async () => {
    const answer = await confirmAction("Kill every rollout?", "Every user of every rollout goes to legacy within a second.", { reason: true });
    if (answer.ok) await write("Global kill", "POST", "/kill", answer.reason ? { reason: answer.reason } : {});
  });
  $("resume-all").addEventListener("click", async () => {
    const answer = await confirmAction("Turn the global kill switch off?", "Rollouts go back to their own settings (rollouts killed one by one stay killed).", { danger: false });
    if (answer.ok) await write("Global resume", "POST", "/resume", {});
  });

  function start() {
    $("login").hidden = true;
    $("logout").hidden = false;
    refresh();
    if (!timer) timer = setInterval(refresh, POLL_MS);
  }

  if (token) start(); else showLogin();
})();
</script>
</body>
</html>
`;
}
