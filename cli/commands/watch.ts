/**
 * `edge-router watch <id>`: per-variant health and the guard's verdict, redrawn every couple of
 * seconds until Ctrl-C. A router that cannot be reached for a moment is reported in the frame and
 * polled again; a wrong token, an unknown rollout or an old router end the watch.
 */
import { intOption, secondsOption } from "../args";
import { isHealth, type Health } from "../shapes";
import type { Context } from "../context";
import { CliError, EXIT } from "../exit";
import { clock, millis, ratio, table, type Colors } from "../format";
import { colorStatus, stageLine } from "./status";

function verdictText(status: string, c: Colors): string {
  switch (status) {
    case "healthy":
      return c.green(status);
    case "breach":
      return c.bold(c.red(status));
    case "inconclusive":
      return c.yellow(status);
    default:
      return c.dim(status);
  }
}

/** One frame: header, the two variants side by side, the verdict and the stage. */
export function formatHealth(id: string, h: Health, c: Colors, now: Date): string {
  const head = [c.bold(id), h.status ? colorStatus(h.status, c) : "", `last ${h.windowSeconds} s`, c.dim(`${clock(now).slice(0, 8)} UTC`)].filter(Boolean).join("  ");
  const row = (name: "legacy" | "new") => {
    const v = h[name];
    const rate = ratio(v.errorRate);
    // Distinct users (an estimate); "-" from a router too old to count them.
    const users = typeof v.users === "number" ? String(v.users) : "-";
    return [name, String(v.requests), users, String(v.errors), v.errors > 0 ? c.red(rate) : rate, String(v.clientErrors), millis(v.p50), millis(v.p95), millis(v.p99)];
  };
  const headings = ["VARIANT", "REQUESTS", "USERS", "5XX", "ERROR RATE", "4XX", "P50", "P95", "P99"];
  const lines = [head, "", table(headings, [row("legacy"), row("new")], [1, 2, 3, 4, 5, 6, 7, 8]), ""];
  lines.push(`guard  ${verdictText(h.verdict.status, c)}: ${h.verdict.summary}`);
  for (const breach of h.verdict.breaches ?? []) lines.push(`       ${c.red("✗")} ${breach.sentence}`);
  for (const warning of h.verdict.warnings ?? []) lines.push(`       ${c.yellow("!")} ${warning.sentence}`);
  if (h.stage) lines.push(`stage  ${stageLine(h.stage, now)}`);
  return lines.join("\n");
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

// Terminal control: cursor home, clear to end of line / of screen, hide and show the cursor.
const HOME = "\x1b[H";
const CLEAR_LINE = "\x1b[K";
const CLEAR_BELOW = "\x1b[J";
const HIDE_CURSOR = "\x1b[?25l";
const SHOW_CURSOR = "\x1b[?25h";

export async function watch(ctx: Context): Promise<void> {
  const id = ctx.args[0]!;
  const window = intOption(ctx.values, "window", 60, 10, 3600);
  const interval = secondsOption(ctx.values, "interval", 2);
  const count = ctx.values.count === undefined ? Infinity : intOption(ctx.values, "count", 1, 1, 1_000_000);
  const { io, c } = ctx;
  const client = ctx.client();
  const redraw = io.isTTY && !ctx.settings.json;
  if (redraw) io.write(HIDE_CURSOR + "\x1b[2J");
  try {
    for (let frame = 0; frame < count && !io.interrupted.aborted; frame++) {
      if (frame > 0) await sleep(interval * 1000, io.interrupted);
      if (io.interrupted.aborted) break;
      let text: string;
      try {
        const { body } = await client.get(`/rollouts/${encodeURIComponent(id)}/health?window=${window}`, isHealth, { feature: "watch (no health endpoint)" });
        if (ctx.settings.json) {
          io.out(JSON.stringify({ at: io.now().toISOString(), ...body }));
          continue;
        }
        text = formatHealth(id, body, c, io.now());
      } catch (error) {
        if (io.interrupted.aborted) break;
        // Keep watching through a restart or a network blip; anything else will not fix itself.
        if (!(error instanceof CliError) || (error.code !== EXIT.unreachable && error.code !== EXIT.failed) || frame === 0) throw error;
        text = `${c.bold(id)}  ${c.dim(`${clock(io.now()).slice(0, 8)} UTC`)}\n\n${c.red(error.message)}\nretrying every ${interval} s`;
      }
      if (redraw)
        io.write(
          HOME +
            text
              .split("\n")
              .map((l) => l + CLEAR_LINE)
              .join("\n") +
            `\n\n${c.dim("Ctrl-C to stop")}${CLEAR_LINE}\n${CLEAR_BELOW}`,
        );
      else io.out(text + "\n");
    }
  } finally {
    if (redraw) io.write(SHOW_CURSOR);
  }
}
