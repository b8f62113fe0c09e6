/**
 * The dashboard's browser code is TypeScript bundled into a committed module
 * (admin/dashboard/client.generated.ts). These tests rebuild it and fail when the committed copy
 * no longer matches the sources, and check that the page it goes into stays locked down.
 */
import { describe, expect, it } from "vitest";
import { checkGenerated } from "../../scripts/build-dashboard.mjs";
import { DASHBOARD_CLIENT_JS } from "../../admin/dashboard/client.generated";
import { dashboardHeaders, renderDashboard } from "../../admin/dashboard/page";

describe("the committed dashboard bundle", () => {
  it("is exactly what admin/dashboard/client builds to now (else run npm run build:dashboard)", async () => {
    const { expected, actual } = await checkGenerated();
    // Compare lengths first: a diff of two 13 kB lines is unreadable, a length mismatch is not.
    expect(actual.length, "admin/dashboard/client.generated.ts is stale: run `npm run build:dashboard` and commit it").toBe(expected.length);
    expect(actual === expected, "admin/dashboard/client.generated.ts is stale: run `npm run build:dashboard` and commit it").toBe(true);
  }, 30_000);

  it("cannot end the inline script it is served in early", () => {
    expect(DASHBOARD_CLIENT_JS).not.toMatch(/<\/script|<!--|<script/i);
  });

  it("never hands a string to an HTML parser or to eval", () => {
    for (const sink of ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function(", "setHTMLUnsafe"]) {
      expect(DASHBOARD_CLIENT_JS, sink).not.toContain(sink);
    }
  });
});

describe("the dashboard page", () => {
  const nonce = "0123456789abcdef0123456789abcdef";

  it("runs its one script and its one style only under the response's nonce", () => {
    const html = renderDashboard(nonce, "/__admin/api");
    const csp = dashboardHeaders(nonce)["content-security-policy"]!;
    expect(csp).toContain(`script-src 'nonce-${nonce}'`);
    expect(csp).toContain(`style-src 'nonce-${nonce}'`);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|strict-dynamic/);
    expect(csp).toContain("require-trusted-types-for 'script'");
    expect(html.match(/<script\b[^>]*>/g)).toEqual([`<script nonce="${nonce}">`]);
    expect(html.match(/<style\b[^>]*>/g)).toEqual([`<style nonce="${nonce}">`]);
    expect(html).toContain(DASHBOARD_CLIENT_JS);
    expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/i);
  });

  it("passes the API prefix as data, so a hostile prefix cannot inject markup or script", () => {
    const hostile = `/x"><script>alert(1)</script><b a='`;
    const html = renderDashboard(nonce, hostile);
    expect(html.match(/<script\b/g)).toHaveLength(1);
    expect(html).toContain(`data-api-prefix="/x&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;&#60;b a=&#39;"`);
  });
});
