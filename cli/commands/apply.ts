/**
 * `edge-router apply <file.json>`: config as code. Validate every config locally, read each live
 * rollout and segment, check that every segment a rule names exists (in the file or on the
 * router), print the field-level diff, then write the segments and then the rollouts, each with
 * PUT and If-Match of the version read, so nothing changed since the read is ever overwritten.
 */
import type { SegmentView, SegmentWriteResult } from "../../contracts/admin-wire";
import type { RolloutConfig } from "../../contracts/rollout";
import { segmentReferences } from "../../contracts/rules";
import { isRolloutView, isSegmentList, isSegmentWriteResult, type RolloutView } from "../shapes";
import { readConfigFile, type FileRollout, type FileSegment } from "../config-file";
import type { Context } from "../context";
import { describeConfig, describeSegment, diffConfig } from "../diff";
import { CliError, EXIT } from "../exit";

export interface Plan {
  id: string;
  action: "create" | "update" | "unchanged";
  /** The version read (0 for a create: "must not exist yet"). */
  version: number;
  config: RolloutConfig;
  changes: string[];
  /** Set once written. */
  newVersion?: number;
}

export interface SegmentPlan {
  name: string;
  action: Plan["action"];
  version: number;
  /** The PUT body: what the file says. */
  body: Omit<FileSegment, "name">;
  changes: string[];
  newVersion?: number;
}

/**
 * What applying `file` over `live` would do. The kill switch is an incident tool with its own
 * audited commands: unless the file says `killed` itself, the live value is kept.
 */
export function plan(file: FileRollout, live: RolloutView | undefined): Plan {
  const { config: fileConfig, explicit } = file;
  if (!live) return { id: fileConfig.id, action: "create", version: 0, config: fileConfig, changes: describeConfig(fileConfig) };
  const config = explicit.has("killed") ? fileConfig : { ...fileConfig, killed: live.config.killed };
  const changes = diffConfig(live.config, config);
  return { id: config.id, action: changes.length ? "update" : "unchanged", version: live.version, config, changes };
}

/** What applying a file's segment over the live one would do. */
export function planSegment(file: FileSegment, live: SegmentView | undefined): SegmentPlan {
  const { name, ...body } = file;
  if (!live) return { name, action: "create", version: 0, body, changes: describeSegment(body) };
  const current = { ...(live.description !== undefined ? { description: live.description } : {}), when: live.when };
  const changes = diffConfig(current, body);
  return { name, action: changes.length ? "update" : "unchanged", version: live.version, body, changes };
}

/** Rules that name a segment neither the file nor the router holds, each with a pointer into its rollout. */
export function missingSegments(rollouts: FileRollout[], known: ReadonlySet<string>): string[] {
  return rollouts.flatMap(({ config }) =>
    segmentReferences(config.rules)
      .filter((ref) => !known.has(ref.segment))
      .map((ref) => `rollout "${config.id}" /rules/${ref.rule}/when/${ref.condition}/segment: names the segment "${ref.segment}", which is neither in the file nor on the router`),
  );
}

function summary(plans: Array<{ action: Plan["action"] }>): string {
  const count = (a: Plan["action"]) => plans.filter((p) => p.action === a).length;
  return `${count("create")} to create, ${count("update")} to update, ${count("unchanged")} unchanged`;
}

/** The live segments, when the file has any or its rules name any (a router without segments is only asked then). */
async function liveSegments(ctx: Context, segments: FileSegment[], rollouts: FileRollout[]): Promise<SegmentView[]> {
  if (!segments.length && !rollouts.some((r) => segmentReferences(r.config.rules).length)) return [];
  return (await ctx.client().get("/segments", isSegmentList, { feature: "segments" })).body.segments;
}

function printPlan(ctx: Context, label: string, p: { action: Plan["action"]; version: number; changes: string[] }): void {
  const { c, io } = ctx;
  if (p.action === "unchanged") {
    io.out(`${label}: unchanged ${c.dim(`(version ${p.version})`)}`);
    return;
  }
  io.out(p.action === "create" ? `${c.bold(label)}: ${c.green("create")}` : `${c.bold(label)}: ${c.yellow("update")} ${c.dim(`(version ${p.version})`)}`);
  for (const line of p.changes) io.out(`  ${line}`);
}

async function write(ctx: Context, segments: SegmentPlan[], rollouts: Plan[]): Promise<void> {
  const client = ctx.client();
  const pending = [...segments.map((p) => ({ label: `segment ${p.name}`, p })), ...rollouts.map((p) => ({ label: p.id, p }))].filter(({ p }) => p.action !== "unchanged");
  for (const { label, p } of pending) {
    try {
      if ("name" in p) {
        const subject = `segment "${p.name}"`;
        const { body } = await client.request<SegmentWriteResult>("PUT", `/segments/${p.name}`, isSegmentWriteResult, { body: p.body, ifMatch: p.version, subject });
        p.newVersion = body.version;
      } else {
        const { body } = await client.send("PUT", `/rollouts/${p.id}`, { body: p.config, ifMatch: p.version, subject: `rollout "${p.id}"` });
        p.newVersion = body.version;
      }
      if (!ctx.settings.json) ctx.io.out(`${label}: ${p.action === "create" ? "created" : "updated"}, version ${p.newVersion}`);
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      const done = pending.filter((d) => d.p.newVersion !== undefined);
      const rest = pending.filter((d) => d.p !== p && d.p.newVersion === undefined).map((d) => d.label);
      throw new CliError(
        error.code,
        `${error.message}${done.length ? `\napplied before this: ${done.map((d) => `${d.label} (version ${d.p.newVersion})`).join(", ")}` : ""}${rest.length ? `\nnot applied: ${rest.join(", ")}` : ""}`,
        error.problemType,
      );
    }
  }
}

export async function apply(ctx: Context): Promise<void> {
  const file = ctx.args[0]!;
  const { c, io } = ctx;
  const { rollouts, segments } = readConfigFile(file); // throws before anything is sent
  const client = ctx.client();

  const live = await liveSegments(ctx, segments, rollouts);
  const missing = missingSegments(rollouts, new Set([...segments.map((s) => s.name), ...live.map((s) => s.name)]));
  if (missing.length) throw new CliError(EXIT.invalid, `${file} is invalid; nothing was changed:\n${missing.map((m) => `  ${m}`).join("\n")}`);
  const segmentPlans = segments.map((s) =>
    planSegment(
      s,
      live.find((l) => l.name === s.name),
    ),
  );

  const plans: Plan[] = [];
  for (const rollout of rollouts) {
    let current: RolloutView | undefined;
    try {
      current = (await client.get(`/rollouts/${rollout.config.id}`, isRolloutView)).body;
    } catch (error) {
      if (!(error instanceof CliError && error.problemType === "rollout-not-found")) throw error;
    }
    plans.push(plan(rollout, current));
  }

  const dryRun = ctx.values["dry-run"] === "true";
  if (!ctx.settings.json) {
    for (const p of segmentPlans) printPlan(ctx, `segment ${p.name}`, p);
    for (const p of plans) printPlan(ctx, p.id, p);
  }
  const all = [...segmentPlans, ...plans];
  const json = (applied: boolean) =>
    JSON.stringify(
      { dryRun, applied, rollouts: plans.map(({ config: _, ...p }) => p), ...(segmentPlans.length ? { segments: segmentPlans.map(({ body: _, ...p }) => p) } : {}) },
      null,
      2,
    );
  if (dryRun || !all.some((p) => p.action !== "unchanged")) {
    if (ctx.settings.json) io.out(json(false));
    else io.out(c.dim(dryRun ? `dry run: nothing was changed (${summary(all)})` : "nothing to apply"));
    return;
  }
  await write(ctx, segmentPlans, plans);
  if (ctx.settings.json) io.out(json(true));
  else io.out(c.dim(`applied: ${summary(all).replace("to create", "created").replace("to update", "updated")}`));
}
