/** `edge-router tail`: `wrangler tail --format json` (or raw log lines) on stdin, one line per request out. */
import type { Context } from "../context";
import { formatTailLine, isError, JsonObjectSplitter, proxyEntries } from "../tail";

export async function tail(ctx: Context): Promise<void> {
  const splitter = new JsonObjectSplitter();
  const only = ctx.values.rollout;
  const errorsOnly = ctx.values.errors === "true";
  if (ctx.io.stdinIsTTY) ctx.io.err(ctx.c.dim("edge-router tail reads the router's logs from stdin: npx wrangler tail --format json | edge-router tail"));
  for await (const line of ctx.io.lines()) {
    if (ctx.io.interrupted.aborted) break;
    for (const text of splitter.pushLine(line)) {
      for (const entry of proxyEntries(text)) {
        if (only !== undefined && entry.line.rollout !== only) continue;
        if (errorsOnly && !isError(entry.line)) continue;
        ctx.io.out(ctx.settings.json ? JSON.stringify({ ...(entry.at ? { at: entry.at.toISOString() } : {}), ...entry.line }) : formatTailLine(entry, ctx.c, ctx.io.now()));
      }
    }
  }
}
