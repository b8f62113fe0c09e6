/**
 * `edge-router`: the operators' command-line tool, on the same admin API as the dashboard, with
 * the worker's own schemas and hash (so `apply` validates and `bucket` predicts exactly as the edge).
 */
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { decide } from "../worker/core/decide";
import { bucketOf } from "../worker/core/hash";
import { RolloutConfigSchema, type RolloutConfig } from "../worker/core/schema";
import { compileSnapshot } from "../worker/core/table";
import { toFieldIssues } from "../durable-objects/commands";
import { ANSI_COLORS, diffConfig, extractProxyLines, formatTailLine, millis, NO_COLORS, percent, table, type Colors } from "./format";

/** Exit codes (also in `--help`). */
export const EXIT = { ok: 0, usage: 1, invalid: 2, unreachable: 3, unauthorized: 4, notFound: 5, conflict: 6, api: 7 } as const;

export class CliError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

interface Options {
  url: string | undefined;
  token: string | undefined;
  actor: string | undefined;
  json: boolean;
  dryRun: boolean;
  all: boolean;
  reason: string | undefined;
  file: string | undefined;
  window: number;
  interval: number;
}

const HELP = `edge-router: operate rollouts from a terminal or a CI pipeline

Usage: edge-router <command> [arguments] [options]

Commands
  status [id]                 rollouts as a table (or one in detail); --json for scripts
  set <id> <percent>          set the share of users on new (0-100, steps of 0.01)
  kill <id> --reason "..."    kill switch: everyone on this rollout to legacy (--all: every rollout)
  resume <id>                 turn the kill switch off (--all: the global one)
  pause <id>                  stop advancing through stages
  continue <id>               advance through stages again
  promote <id>                move to the next stage now
  apply <file.json>           config as code: validate, show the diff, apply with If-Match (--dry-run: diff only)
  watch <id>                  live per-variant health until Ctrl-C (--window 60, --interval 2)
  bucket <id> <user-id>       which variant a user gets and why, with the edge's own hash (--file config.json: offline)
  tail                        read \`wrangler tail --format json\` from stdin, print one line per request

Options
  --url URL        router URL (or EDGE_ROUTER_URL), e.g. http://127.0.0.1:8787
  --token TOKEN    admin token (or EDGE_ROUTER_TOKEN)
  --actor NAME     who you are, for the audit log (X-Actor)
  --json           machine-readable output
  --help           this text

Exit codes
  0 ok · 1 usage · 2 invalid input or file · 3 router unreachable · 4 unauthorized (401)
  5 not found (404) · 6 conflict: changed by someone else (412) or not possible now (409) · 7 other API error
`;

function parseArgs(argv: string[]): { positional: string[]; options: Options } {
  const positional: string[] = [];
  const options: Options = {
    url: process.env.EDGE_ROUTER_URL,
    token: process.env.EDGE_ROUTER_TOKEN,
    actor: undefined,
    json: false,
    dryRun: false,
    all: false,
    reason: undefined,
    file: undefined,
    window: 60,
    interval: 2,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new CliError(EXIT.usage, `${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case "--url": options.url = value(); break;
      case "--token": options.token = value(); break;
      case "--actor": options.actor = value(); break;
      case "--reason": options.reason = value(); break;
      case "--file": options.file = value(); break;
      case "--window": options.window = Number(value()); break;
      case "--interval": options.interval = Number(value()); break;
      case "--json": options.json = true; break;
      case "--dry-run": options.dryRun = true; break;
      case "--all": options.all = true; break;
      case "-h":
      case "--help": positional.unshift("help"); break;
      default:
        if (arg.startsWith("--")) throw new CliError(EXIT.usage, `unknown option ${arg} (see --help)`);
        positional.push(arg);
    }
  }
  return { positional, options };
}

interface Problem {
  type?: string;
  title?: string;
  detail?: string;
  errors?: Array<{ pointer: string; message: string }>;
  current?: number;
}

/** The admin API, with every failure turned into a one-line message and an exit code. */
class Client {
  constructor(private readonly options: Options) {}

  private base(): string {
    if (!this.options.url) throw new CliError(EXIT.usage, "no router URL: set EDGE_ROUTER_URL or pass --url http://127.0.0.1:8787");
    return `${this.options.url.replace(/\/$/, "")}/__admin/api`;
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T; etag: string | null }> {
    const url = this.base() + path;
    if (!this.options.token) throw new CliError(EXIT.unauthorized, "no admin token: set EDGE_ROUTER_TOKEN or pass --token");
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          ...(this.options.actor ? { "x-actor": this.options.actor } : {}),
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(EXIT.unreachable, `cannot reach the router at ${this.options.url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = { detail: text };
    }
    if (res.ok || res.status === 304) return { status: res.status, body: parsed as T, etag: res.headers.get("etag") };
    const problem = (parsed ?? {}) as Problem;
    const fields = problem.errors?.length ? "\n" + problem.errors.map((e) => `  ${e.pointer || "(body)"}: ${e.message}`).join("\n") : "";
    const detail = `${problem.detail ?? problem.title ?? text}${fields}`;
    switch (res.status) {
      case 401:
        throw new CliError(EXIT.unauthorized, `unauthorized (401): ${problem.detail ?? ""} Set EDGE_ROUTER_TOKEN to the router's ADMIN_TOKEN.`.trim());
      case 404:
        if (problem.type === "urn:edge-router:not-found") throw new CliError(EXIT.notFound, `this router does not support ${method} ${path} (upgrade it): ${detail}`);
        throw new CliError(EXIT.notFound, detail);
      case 412:
        throw new CliError(EXIT.conflict, `changed by someone else since you read it (now version ${problem.current}); re-run to see the current state`);
      case 409:
        throw new CliError(EXIT.conflict, `not possible now (409): ${detail}`);
      case 400:
      case 413:
      case 415:
      case 422:
        throw new CliError(EXIT.invalid, `rejected (${res.status}): ${detail}`);
      default:
        throw new CliError(EXIT.api, `the router answered ${res.status}: ${detail}`);
    }
  }
}

interface RolloutView {
  id: string;
  status: string;
  version: number;
  updatedAt: string;
  updatedBy: string;
  killReason: string | null;
  pauseReason?: string | null;
  stage: { index: number; count: number; percent: number; nextDueAt: string | null; waiting: string | null } | null;
  config: RolloutConfig;
}

type Out = (line: string) => void;

function colorize(status: string, c: Colors): string {
  return status === "killed" ? c.red(status) : status === "paused" ? c.yellow(status) : status === "complete" ? c.bold(status) : c.green(status);
}

async function status(client: Client, id: string | undefined, options: Options, out: Out, c: Colors) {
  if (id) {
    const { body } = await client.request<RolloutView>("GET", `/rollouts/${encodeURIComponent(id)}`);
    if (options.json) return out(JSON.stringify(body, null, 2));
    out(`${c.bold(body.id)}  ${colorize(body.status, c)}  ${body.config.percent}% on new  (version ${body.version}, ${body.updatedBy} at ${body.updatedAt})`);
    if (body.killReason) out(`  killed: ${body.killReason}`);
    if (body.pauseReason) out(`  paused: ${body.pauseReason}`);
    if (body.stage) out(`  stage ${body.stage.index + 1} of ${body.stage.count}: ${body.stage.waiting ?? ""}`);
    out(`  match    ${body.config.match.hosts.join(", ") || "any host"} ${body.config.match.pathPrefixes.join(", ")}`);
    out(`  legacy   ${body.config.origins.legacy}`);
    out(`  new      ${body.config.origins.new}`);
    out(`  sticky   ${body.config.stickiness.map((s) => ("header" in s ? `header ${s.header}` : `cookie ${s.cookie}`)).join(", ")}, then anonymous cookie`);
    out(`  allow    ${body.config.allowlist.new.length} pinned to new, ${body.config.allowlist.legacy.length} to legacy`);
    if (body.config.guard) out(`  guard    ${JSON.stringify(body.config.guard)}`);
    return;
  }
  const { body } = await client.request<{ version: number; globalKill: { killed: boolean; reason: string | null; by: string | null }; rollouts: RolloutView[] }>("GET", "/rollouts");
  if (options.json) return out(JSON.stringify(body, null, 2));
  if (body.globalKill.killed) out(c.red(c.bold(`GLOBAL KILL SWITCH ON: every rollout goes to legacy (${body.globalKill.reason ?? "no reason given"}, by ${body.globalKill.by})`)));
  out(
    table(
      ["ID", "STATUS", "PERCENT", "STAGE", "VERSION", "UPDATED", "NOTE"],
      body.rollouts.map((r) => [
        r.id,
        colorize(r.status, c),
        `${r.config.percent}%`,
        r.stage ? `${r.stage.index + 1}/${r.stage.count}` : "-",
        String(r.version),
        `${r.updatedBy} ${r.updatedAt.slice(0, 19).replace("T", " ")}`,
        r.killReason ?? r.pauseReason ?? r.stage?.waiting ?? "",
      ]),
    ),
  );
  out(c.dim(`config version ${body.version}`));
}

function parsePercent(raw: string | undefined): number {
  const value = Number(raw);
  if (raw === undefined || !Number.isFinite(value) || value < 0 || value > 100 || Math.abs(value * 100 - Math.round(value * 100)) > 1e-7) {
    throw new CliError(EXIT.invalid, `percent must be a number from 0 to 100 in steps of 0.01, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Reads a config file: one rollout, an array, or { rollouts: [...] }; validates every one locally. */
export function readConfigFile(file: string): RolloutConfig[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new CliError(EXIT.invalid, `cannot read ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(EXIT.invalid, `${file} is not valid JSON: ${(error as Error).message}`);
  }
  const list = Array.isArray(parsed) ? parsed : parsed && typeof parsed === "object" && Array.isArray((parsed as { rollouts?: unknown }).rollouts) ? (parsed as { rollouts: unknown[] }).rollouts : [parsed];
  const problems: string[] = [];
  const configs: RolloutConfig[] = [];
  list.forEach((item, i) => {
    const result = RolloutConfigSchema.safeParse(item);
    const where = list.length > 1 || Array.isArray(parsed) ? `rollout ${i} (${(item as { id?: unknown })?.id ?? "no id"})` : `rollout ${(item as { id?: unknown })?.id ?? "(no id)"}`;
    if (result.success) configs.push(result.data);
    else for (const issue of toFieldIssues(result.error)) problems.push(`  ${where} ${issue.pointer || "(root)"}: ${issue.message}`);
  });
  const ids = configs.map((c) => c.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) problems.push(`  rollout id "${dup}" appears twice`);
  if (problems.length) throw new CliError(EXIT.invalid, `${file} is invalid; nothing was changed:\n${problems.join("\n")}`);
  return configs;
}

async function apply(client: Client, file: string | undefined, options: Options, out: Out, c: Colors) {
  if (!file) throw new CliError(EXIT.usage, "usage: edge-router apply <file.json> [--dry-run]");
  const configs = readConfigFile(file);
  const plans: Array<{ config: RolloutConfig; version: number | null; lines: string[] }> = [];
  for (const config of configs) {
    let live: RolloutView | null = null;
    try {
      live = (await client.request<RolloutView>("GET", `/rollouts/${config.id}`)).body;
    } catch (error) {
      if (!(error instanceof CliError && error.code === EXIT.notFound)) throw error;
    }
    // Compare what the server would store: the live config against this file's, both with defaults.
    const lines = live ? diffConfig(live.config, config) : ["(new rollout)"];
    plans.push({ config, version: live?.version ?? null, lines });
  }
  for (const plan of plans) {
    if (!plan.lines.length) {
      out(`${plan.config.id}: unchanged`);
      continue;
    }
    out(`${c.bold(plan.config.id)}${plan.version === null ? c.green(" (create)") : ` (version ${plan.version})`}`);
    for (const line of plan.lines) out(`  ${line}`);
  }
  if (options.dryRun) return out(c.dim("dry run: nothing applied"));
  for (const plan of plans) {
    if (!plan.lines.length) continue;
    // Only overwrite what was diffed: If-Match the version read above (creates must not exist yet).
    const res = await client.request<{ version: number }>("PUT", `/rollouts/${plan.config.id}`, plan.config, { "if-match": `"${plan.version ?? 0}"` });
    out(`${plan.config.id}: applied, version ${res.body.version}`);
  }
}

async function watch(client: Client, id: string | undefined, options: Options, out: Out, c: Colors) {
  if (!id) throw new CliError(EXIT.usage, "usage: edge-router watch <id> [--window 60] [--interval 2]");
  const tty = process.stdout.isTTY;
  for (;;) {
    const { body: h } = await client.request<any>("GET", `/rollouts/${encodeURIComponent(id)}/health?window=${options.window}`);
    const lines = [
      `${c.bold(id)}  ${colorize(h.status, c)}  last ${h.windowSeconds} s  ${new Date().toLocaleTimeString()}`,
      table(
        ["VARIANT", "REQUESTS", "ERRORS", "4XX", "P50", "P95", "P99"],
        (["legacy", "new"] as const).map((v) => [v, String(h[v].requests), percent(h[v].errorRate), String(h[v].clientErrors), millis(h[v].p50), millis(h[v].p95), millis(h[v].p99)]),
      ),
      `guard: ${h.verdict.status === "breach" ? c.red(h.verdict.status) : h.verdict.status === "healthy" ? c.green(h.verdict.status) : h.verdict.status}  ${h.verdict.summary}`,
      ...(h.stage ? [`stage ${h.stage.index + 1} of ${h.stage.count}: ${h.stage.waiting ?? ""}`] : []),
    ];
    if (tty) process.stdout.write("\x1b[2J\x1b[H");
    out(lines.join("\n") + (tty ? "\n\nCtrl-C to stop" : "\n"));
    if (options.interval <= 0) return;
    await new Promise((r) => setTimeout(r, options.interval * 1000));
  }
}

async function bucket(client: Client, id: string | undefined, user: string | undefined, options: Options, out: Out) {
  if (!id || user === undefined) throw new CliError(EXIT.usage, "usage: edge-router bucket <id> <user-id> [--file config.json]");
  let config: RolloutConfig;
  let version = 0;
  if (options.file) {
    const found = readConfigFile(options.file).find((c) => c.id === id);
    if (!found) throw new CliError(EXIT.notFound, `no rollout "${id}" in ${options.file}`);
    config = found;
  } else {
    const { body } = await client.request<RolloutView>("GET", `/rollouts/${encodeURIComponent(id)}`);
    config = body.config;
    version = body.version;
  }
  const snapshot = { version, globalKill: { killed: false, reason: null, at: null, by: null }, rollouts: [{ config, version, updatedAt: "", updatedBy: "", killReason: null }] };
  const table = compileSnapshot(snapshot);
  const rollout = table.rollouts.get(id)!;
  const d = decide(table, rollout, { userId: user, source: "header:x-user-id" });
  const b = bucketOf(rollout.salt, user);
  const result = { rollout: id, user, variant: d.variant, reason: d.reason, bucket: b, threshold: rollout.threshold, entersNewAtPercent: Math.min(100, (b + 1) / 100), salt: rollout.salt };
  if (options.json) return out(JSON.stringify(result, null, 2));
  const why =
    d.reason === "killed" ? "the rollout is killed" : d.reason === "allowlist" ? `user is on the ${d.variant} allowlist` : `bucket ${b} ${b < rollout.threshold ? "<" : "≥"} ${rollout.threshold} (${config.percent}% × 100)`;
  out(`${user} → ${d.variant} (${d.reason}: ${why})`);
  if (d.reason === "bucket") out(`  in new from ${result.entersNewAtPercent}% on (salt "${rollout.salt}", hash spec v1)`);
}

async function tail(out: Out, c: Colors) {
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let buffer = "";
  for await (const line of rl) {
    // wrangler tail --format json pretty-prints each event over several lines: gather until it parses.
    buffer = buffer ? `${buffer}\n${line}` : line;
    let entries: Array<Record<string, unknown>>;
    try {
      JSON.parse(buffer);
      entries = extractProxyLines(buffer);
    } catch {
      if (buffer.length > 1_000_000) buffer = "";
      continue;
    }
    buffer = "";
    for (const entry of entries) out(formatTailLine(entry, c));
  }
}

export async function main(argv: string[], out: Out = (l) => console.log(l)): Promise<number> {
  const c = process.stdout.isTTY && !process.env.NO_COLOR ? ANSI_COLORS : NO_COLORS;
  try {
    const { positional, options } = parseArgs(argv);
    const [command, ...args] = positional;
    const client = new Client(options);
    const write = async (path: string, body: unknown, label: string) => {
      const res = await client.request<{ version: number; changed: boolean; rollout?: RolloutView }>("POST", path, body);
      out(`${label}${res.body.changed ? "" : " (no change)"}: version ${res.body.version}${res.body.rollout ? `, ${res.body.rollout.status}, ${res.body.rollout.config.percent}%` : ""}`);
    };
    const need = (id: string | undefined, usage: string) => {
      if (!id) throw new CliError(EXIT.usage, `usage: edge-router ${usage}`);
      return encodeURIComponent(id);
    };
    switch (command) {
      case undefined:
      case "help":
        out(HELP);
        return command ? EXIT.ok : EXIT.usage;
      case "status":
        await status(client, args[0], options, out, c);
        return EXIT.ok;
      case "set": {
        const id = need(args[0], "set <id> <percent>");
        const percent = parsePercent(args[1]);
        const current = await client.request<RolloutView>("GET", `/rollouts/${id}`);
        const res = await client.request<{ version: number; changed: boolean }>("PATCH", `/rollouts/${id}`, { percent }, { "if-match": `"${current.body.version}"` });
        out(`${args[0]}: ${current.body.config.percent}% → ${percent}%${res.body.changed ? "" : " (no change)"}, version ${res.body.version}`);
        return EXIT.ok;
      }
      case "kill":
        if (options.all) await write("/kill", options.reason ? { reason: options.reason } : {}, "global kill switch on");
        else await write(`/rollouts/${need(args[0], 'kill <id> --reason "..." (or --all)')}/kill`, options.reason ? { reason: options.reason } : {}, `${args[0]} killed`);
        return EXIT.ok;
      case "resume":
        if (options.all) await write("/resume", {}, "global kill switch off");
        else await write(`/rollouts/${need(args[0], "resume <id> (or --all)")}/resume`, {}, `${args[0]} resumed`);
        return EXIT.ok;
      case "pause":
      case "continue":
      case "promote":
        await write(`/rollouts/${need(args[0], `${command} <id>`)}/${command}`, options.reason ? { reason: options.reason } : {}, `${args[0]} ${command === "continue" ? "continued" : command === "pause" ? "paused" : "promoted"}`);
        return EXIT.ok;
      case "apply":
        await apply(client, args[0], options, out, c);
        return EXIT.ok;
      case "watch":
        await watch(client, args[0], options, out, c);
        return EXIT.ok;
      case "bucket":
        await bucket(client, args[0], args[1], options, out);
        return EXIT.ok;
      case "tail":
        await tail(out, c);
        return EXIT.ok;
      default:
        throw new CliError(EXIT.usage, `unknown command "${command}" (see edge-router --help)`);
    }
  } catch (error) {
    if (error instanceof CliError) {
      console.error(`edge-router: ${error.message}`);
      return error.code;
    }
    console.error(`edge-router: unexpected error: ${(error as Error).stack ?? error}`);
    return EXIT.api;
  }
}
