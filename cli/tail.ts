/**
 * `edge-router tail`: the router's per-request log lines, found in `wrangler tail --format json`
 * output (one pretty-printed JSON event per request, our line a JSON string in `logs[].message`)
 * or given raw, one per line, and printed one readable line each. Pure: text in, lines out.
 */
import { clock, padEnd, padStart, type Colors } from "./format";

/** The log line the router writes per proxied request (edge/record.ts `logText`). */
export interface ProxyLine {
  event: "proxy";
  rollout: string | null;
  variant: string;
  reason: string;
  detail?: string;
  bucket: number | null;
  threshold: number | null;
  method?: string;
  host?: string;
  path?: string;
  status: number;
  latencyMs: number;
  stale?: boolean;
  retriedOnLegacy?: boolean;
  error?: string;
}

export interface TailEntry {
  line: ProxyLine;
  /** When the request was logged, if the event says (raw lines do not). */
  at: Date | undefined;
}

/**
 * Splits a stream of text into top-level JSON objects, whether they come one per line or
 * pretty-printed over many. Anything outside an object is skipped; a line that starts with `{`
 * starts a new object (a pretty-printed object's inner lines are indented), so a broken object
 * never swallows what follows.
 */
export class JsonObjectSplitter {
  private current = "";
  private depth = 0;
  private inString = false;
  private escaped = false;

  /** Feeds one line (without its newline); returns the objects it completed, as text. */
  pushLine(rawLine: string): string[] {
    const line = rawLine.endsWith("\r") ? rawLine.slice(0, -1) : rawLine;
    if (line.startsWith("{")) this.reset();
    const done: string[] = [];
    let start = this.depth > 0 ? 0 : -1;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i]!;
      if (this.depth === 0) {
        if (ch === "{") {
          start = i;
          this.depth = 1;
        }
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === "\\") this.escaped = true;
        else if (ch === '"') this.inString = false;
        continue;
      }
      if (ch === '"') this.inString = true;
      else if (ch === "{" || ch === "[") this.depth++;
      else if (ch === "}" || ch === "]") {
        this.depth--;
        if (this.depth === 0) {
          done.push(this.current + line.slice(start, i + 1));
          this.current = "";
          start = -1;
        }
      }
    }
    if (this.depth > 0) {
      this.current += line.slice(Math.max(start, 0)) + "\n";
      // A runaway (never closed) object is dropped rather than kept growing.
      if (this.current.length > 4 * 1024 * 1024) this.reset();
    }
    return done;
  }

  private reset(): void {
    this.current = "";
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
  }
}

const isProxyLine = (v: unknown): v is ProxyLine => v !== null && typeof v === "object" && (v as { event?: unknown }).event === "proxy";

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Our proxy lines inside one JSON object: a wrangler tail event, or one of our raw lines. */
export function proxyEntries(objectText: string): TailEntry[] {
  const value = parse(objectText);
  if (isProxyLine(value)) return [{ line: value, at: undefined }];
  const event = value as { logs?: unknown; eventTimestamp?: unknown } | undefined;
  if (!event || !Array.isArray(event.logs)) return [];
  const out: TailEntry[] = [];
  for (const log of event.logs as Array<{ message?: unknown; timestamp?: unknown }>) {
    if (!log || !Array.isArray(log.message)) continue;
    const ms = typeof log.timestamp === "number" ? log.timestamp : typeof event.eventTimestamp === "number" ? event.eventTimestamp : undefined;
    for (const message of log.message) {
      const line = typeof message === "string" ? parse(message) : message;
      if (isProxyLine(line)) out.push({ line, at: ms === undefined ? undefined : new Date(ms) });
    }
  }
  return out;
}

export const isError = (line: ProxyLine) => !(line.status > 0 && line.status < 500) || !!line.error;

/**
 * One line per request: time, rollout, variant, reason, bucket<threshold, status, latency,
 * method and path, then what went wrong (retried on legacy, stale config, error).
 *
 * @example "16:02:03.123  checkout-v2  new     bucket   698<1000   200    23 ms  GET /cart"
 */
export function formatTailLine(entry: TailEntry, c: Colors, now: Date): string {
  const l = entry.line;
  const variant = l.variant === "new" ? c.green(padEnd("new", 6)) : l.variant === "legacy" ? c.cyan(padEnd("legacy", 6)) : padEnd(String(l.variant), 6);
  const reasonText = padEnd(`${l.reason}${l.detail ? `:${l.detail}` : ""}`, 14);
  const reason = l.reason === "killed" ? c.yellow(reasonText) : reasonText;
  const bucket = padEnd(l.bucket !== null && l.bucket !== undefined ? `${l.bucket}${l.threshold !== null && l.bucket >= l.threshold ? "≥" : "<"}${l.threshold}` : "", 10);
  const statusText = padStart(l.status > 0 ? String(l.status) : "ERR", 3);
  const status = l.status >= 500 || !(l.status > 0) ? c.bold(c.red(statusText)) : l.status >= 400 ? c.yellow(statusText) : statusText;
  const latency = padStart(`${Math.round(Number(l.latencyMs) || 0)} ms`, 8);
  const notes = [l.retriedOnLegacy ? c.yellow("retried-on-legacy") : "", l.stale ? c.yellow("stale-config") : "", l.error ? c.red(`error: ${l.error}`) : ""].filter(Boolean);
  return [c.dim(clock(entry.at ?? now)), padEnd(l.rollout ?? "(none)", 16), variant, reason, bucket, status, latency, `${l.method ?? ""} ${l.path ?? ""}`.trim(), ...notes]
    .join("  ")
    .trimEnd();
}
