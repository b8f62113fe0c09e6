/**
 * The commands that change one thing: `set`, `kill`, `resume`, `pause`, `continue`, `promote`, `approve`.
 * Each prints what changed and the new version; `--json` prints the router's answer.
 */
import { Percent } from "../../contracts/rollout";
import { isRolloutView, type RolloutView, type WriteReply } from "../shapes";
import type { Context } from "../context";
import { CliError, EXIT } from "../exit";
import { globalKillBanner } from "./status";

const path = (id: string) => `/rollouts/${encodeURIComponent(id)}`;
const reasonBody = (ctx: Context) => (ctx.values.reason !== undefined ? { reason: ctx.values.reason } : {});

/** "25" → 25, checked with the router's own Percent schema. */
export function parsePercent(raw: string): number {
  const value = raw.trim() === "" ? Number.NaN : Number(raw.trim().replace(/%$/, ""));
  if (!Number.isFinite(value)) throw new CliError(EXIT.invalid, `percent must be a number from 0 to 100, got ${JSON.stringify(raw)}`);
  const parsed = Percent.safeParse(value);
  if (!parsed.success) throw new CliError(EXIT.invalid, `percent ${parsed.error.issues[0]?.message ?? "is invalid"}, got ${JSON.stringify(raw)}`);
  return value;
}

/** The rollout's own version (its ETag) when the answer is about one rollout, else the config version. */
const versionOf = (reply: WriteReply) => reply.rollout?.version ?? reply.version;

function print(ctx: Context, reply: WriteReply, text: string[]): void {
  if (ctx.settings.json) {
    ctx.io.out(JSON.stringify(reply, null, 2));
    return;
  }
  for (const line of text) if (line) ctx.io.out(line);
}

/** A reminder when the change cannot show in traffic yet because a kill switch wins. */
function killNote(ctx: Context, reply: WriteReply): string {
  const r = reply.rollout;
  if (reply.globalKill.killed) return ctx.c.yellow("note: the global kill switch is on: everyone stays on legacy until `edge-router resume --all`");
  if (r?.config.killed) return ctx.c.yellow(`note: ${r.id} is killed: everyone stays on legacy until \`edge-router resume ${r.id}\``);
  return "";
}

export async function set(ctx: Context): Promise<void> {
  const [id, raw] = ctx.args as [string, string];
  const percent = parsePercent(raw);
  const client = ctx.client();
  const { body: before } = await client.get(path(id), isRolloutView);
  const { body: reply } = await client.send("PATCH", path(id), { body: { percent }, ifMatch: before.version, subject: `rollout "${id}"` });
  const line = reply.changed
    ? `${id}: ${before.config.percent}% → ${percent}% (version ${before.version} → ${versionOf(reply)})`
    : `${id}: already at ${percent}% (version ${versionOf(reply)}, unchanged)`;
  const stages = before.config.stages ? ctx.c.dim(`note: ${id} has stages; they go on from ${percent}%`) : "";
  print(ctx, reply, [line, killNote(ctx, reply), reply.changed ? stages : ""]);
}

/** `kill <id>` or `kill --all`; `resume <id>` or `resume --all`. */
function target(ctx: Context, command: "kill" | "resume"): string | undefined {
  const id = ctx.args[0];
  const all = ctx.values.all === "true";
  if (all && id !== undefined) throw new CliError(EXIT.usage, `${command} takes a rollout id or --all, not both`);
  if (!all && id === undefined) throw new CliError(EXIT.usage, `usage: edge-router ${command} <id>, or ${command} --all for the global kill switch`);
  return id;
}

export async function kill(ctx: Context): Promise<void> {
  const id = target(ctx, "kill");
  const client = ctx.client();
  if (id === undefined) {
    const { body: reply } = await client.send("POST", "/kill", { body: reasonBody(ctx), feature: "the global kill switch" });
    const text = reply.changed ? `${globalKillBanner(reply.globalKill, ctx.c)}; version ${reply.version}` : `the global kill switch was already on (version ${reply.version})`;
    return print(ctx, reply, [text]);
  }
  const { body: reply } = await client.send("POST", `${path(id)}/kill`, { body: reasonBody(ctx), feature: "kill" });
  const reason = reply.rollout?.killReason;
  print(ctx, reply, [
    reply.changed
      ? `${id}: ${ctx.c.bold(ctx.c.red("killed"))}${reason ? ` (${JSON.stringify(reason)})` : ""}, version ${versionOf(reply)}: every request starting within a second goes to legacy`
      : `${id}: already killed${reason ? ` (${JSON.stringify(reason)})` : ""}, version ${versionOf(reply)}`,
  ]);
}

export async function resume(ctx: Context): Promise<void> {
  const id = target(ctx, "resume");
  const client = ctx.client();
  if (id === undefined) {
    const { body: reply } = await client.send("POST", "/resume", { body: reasonBody(ctx), feature: "the global kill switch" });
    return print(ctx, reply, [
      reply.changed
        ? `global kill switch off, version ${reply.version}; rollouts killed one by one stay killed (see edge-router status)`
        : `the global kill switch was already off (version ${reply.version})`,
    ]);
  }
  const { body: reply } = await client.send("POST", `${path(id)}/resume`, { body: reasonBody(ctx), feature: "resume" });
  const percent = reply.rollout?.config.percent;
  print(ctx, reply, [
    reply.changed ? `${id}: resumed, version ${versionOf(reply)}: ${percent}% of users on new again` : `${id}: was not killed (version ${versionOf(reply)})`,
    killNote(ctx, reply),
  ]);
}

export async function pauseOrContinue(ctx: Context, action: "pause" | "continue"): Promise<void> {
  const id = ctx.args[0]!;
  const { body: reply } = await ctx.client().send("POST", `${path(id)}/${action}`, { body: reasonBody(ctx), feature: action });
  const done = action === "pause" ? "paused" : "continued";
  const waiting = reply.rollout?.stage?.waiting;
  print(ctx, reply, [
    reply.changed
      ? `${id}: ${done} at ${reply.rollout?.config.percent}%, version ${versionOf(reply)}${waiting ? `: ${waiting}` : ""}`
      : `${id}: already ${action === "pause" ? "paused" : "running"} (version ${versionOf(reply)}, unchanged)`,
    killNote(ctx, reply),
  ]);
}

/**
 * POST …/<action> with If-Match of the version just read, so that the action is on the rollout as
 * the operator saw it: a change made in between is refused (exit 6) rather than acted on.
 */
async function actOnRead(ctx: Context, action: "promote" | "approve"): Promise<{ id: string; before: RolloutView; reply: WriteReply }> {
  const id = ctx.args[0]!;
  const client = ctx.client();
  const { body: before } = await client.get(path(id), isRolloutView);
  const { body: reply } = await client.send("POST", `${path(id)}/${action}`, { body: reasonBody(ctx), ifMatch: before.version, feature: action, subject: `rollout "${id}"` });
  return { id, before, reply };
}

export async function promote(ctx: Context): Promise<void> {
  // If-Match: two operators promoting at once move the rollout one stage, not two.
  const { id, before, reply } = await actOnRead(ctx, "promote");
  const r = reply.rollout;
  print(ctx, reply, [
    `${id}: promoted ${before.config.percent}% → ${r?.config.percent}%, version ${versionOf(reply)}${r ? ` (${r.status}${r.stage?.waiting && r.status !== "complete" ? `; ${r.stage.waiting}` : ""})` : ""}`,
  ]);
}

/** When an approved stage is entered: at the next check, or what it still waits for. */
function approvedNext(r: WriteReply["rollout"]): string {
  const waiting = r?.stage?.waiting;
  if (!waiting || waiting.startsWith("moving to")) return "the scheduler enters it at its next check (within 5 s)";
  return `it is entered once this allows: ${waiting}`;
}

export async function approve(ctx: Context): Promise<void> {
  // If-Match: the approval is for the stage the operator saw, not one a change since has made next.
  const { id, before, reply } = await actOnRead(ctx, "approve");
  const r = reply.rollout;
  const approval = r?.approval;
  const stage = approval ? `${approval.percent}%` : "the next stage";
  print(ctx, reply, [
    reply.changed
      ? `${id}: ${ctx.c.green("approved")} ${stage} (from ${before.config.percent}%), version ${versionOf(reply)}: ${approvedNext(r)}`
      : `${id}: ${stage} was already approved${approval ? ` by ${approval.by} at ${approval.at}` : ""} (version ${versionOf(reply)}, unchanged)`,
    killNote(ctx, reply),
  ]);
}
