/**
 * The operator dashboard: one self-contained page (no external scripts, styles or fonts) served by
 * the worker under /__admin/. The browser code is TypeScript in ./client, bundled into
 * ./client.generated.ts (`npm run build:dashboard`); this file holds the HTML shell, the styles and
 * the headers. The page talks to the admin API with the bearer token, which it asks for once and
 * keeps in sessionStorage (never in a URL or a cookie).
 */
import { DASHBOARD_CLIENT_JS } from "./client.generated";
import { DASHBOARD_CSS } from "./styles";

/**
 * Security headers for the dashboard page. Script and style run only with this response's nonce
 * (no inline handlers, no style attributes, no eval), and Trusted Types are required with no policy
 * allowed, so no string can ever reach `innerHTML` or another HTML sink.
 */
export function dashboardHeaders(nonce: string): Record<string, string> {
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join("; ");
  return {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-security-policy": csp,
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
  };
}

/** `value` safe inside a double-quoted HTML attribute. */
function attr(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The page. `nonce` must be the one in {@link dashboardHeaders}; `apiPrefix` (e.g. `/__admin/api`)
 * reaches the client as a data attribute, never as script text.
 */
export function renderDashboard(nonce: string, apiPrefix: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edge-router</title>
<style nonce="${attr(nonce)}">${DASHBOARD_CSS}</style>
</head>
<body data-api-prefix="${attr(apiPrefix)}">
<header>
  <h1>edge-router</h1>
  <span class="meta" id="config-version"></span>
  <span class="meta" id="whoami" data-testid="whoami"></span>
  <span class="spacer"></span>
  <span class="meta" id="updated"></span>
  <span id="global-actions"></span>
  <button id="logout" hidden>Sign out</button>
</header>
<main>
  <section id="login" class="card" hidden>
    <h2>Sign in</h2>
    <p class="muted">Paste <code>ADMIN_TOKEN</code> or a named token (<code>er_…</code>; what it may do depends on its scopes). It is kept in this tab only (sessionStorage) and sent as a bearer token.</p>
    <form id="login-form">
      <input id="token" type="password" autocomplete="off" placeholder="token" aria-label="token">
      <button class="primary" type="submit">Sign in</button>
    </form>
    <p id="login-error" class="muted"></p>
  </section>
  <div id="messages"></div>
  <div id="global"></div>
  <section id="rollouts"></section>
  <section id="audit-card" class="card" hidden>
    <h2>Audit log</h2>
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
<script nonce="${attr(nonce)}">${DASHBOARD_CLIENT_JS}</script>
</body>
</html>
`;
}
