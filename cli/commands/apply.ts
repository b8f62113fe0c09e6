/**
 * `edge-router apply <file.json>`: config as code. Validate every config locally, read each live
 * rollout, print the field-level diff, then write each with PUT and If-Match of the version read,
 * so nothing changed since the read is ever overwritten.
 */
import type { RolloutConfig } from "../../contracts/rollout";
import { isRolloutView, type RolloutView } from "../client";
import { readConfigFile, type FileRollout } from "../config-file";
import type { Context } from "../context";
import { describeConfig, diffConfig } from "../diff";
import { CliError } from "../exit";

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

function summary(plans: Plan[]): string {
  const count = (a: Plan["action"]) => plans.filter((p) => p.action === a).length;
  return `${count("create")} to create, ${count("update")} to update, ${count("unchanged")} unchanged`;
}

export async function apply(ctx: Context): Promise<void> {
  const file = ctx.args[0]!;
  const { c, io } = ctx;
  const rollouts = readConfigFile(file); // throws before anything is sent
  const client = ctx.client();

  const plans: Plan[] = [];
  for (const rollout of rollouts) {
    let live: RolloutView | undefined;
    try {
      live = (await client.get(`/rollouts/${rollout.config.id}`, isRolloutView)).body;
    } catch (error) {
      if (!(error instanceof CliError && error.problemType === "rollout-not-found")) throw error;
    }
    plans.push(plan(rollout, live));
  }

  const dryRun = ctx.values["dry-run"] === "true";
  if (!ctx.settings.json) {
    for (const p of plans) {
      if (p.action === "unchanged") {
        io.out(`${p.id}: unchanged ${c.dim(`(version ${p.version})`)}`);
        continue;
      }
      io.out(p.action === "create" ? `${c.bold(p.id)}: ${c.green("create")}` : `${c.bold(p.id)}: ${c.yellow("update")} ${c.dim(`(version ${p.version})`)}`);
      for (const line of p.changes) io.out(`  ${line}`);
    }
  }
  const pending = plans.filter((p) => p.action !== "unchanged");
  if (dryRun || !pending.length) {
    if (ctx.settings.json) io.out(JSON.stringify({ dryRun, applied: false, rollouts: plans.map(({ config: _, ...p }) => p) }, null, 2));
    else io.out(c.dim(dryRun ? `dry run: nothing was changed (${summary(plans)})` : "nothing to apply"));
    return;
  }

  for (const p of pending) {
    try {
      const { body } = await client.send("PUT", `/rollouts/${p.id}`, { body: p.config, ifMatch: p.version, subject: `rollout "${p.id}"` });
      p.newVersion = body.version;
      if (!ctx.settings.json) io.out(`${p.id}: ${p.action === "create" ? "created" : "updated"}, version ${body.version}`);
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      const done = pending.filter((d) => d.newVersion !== undefined);
      const rest = pending.filter((d) => d !== p && d.newVersion === undefined).map((d) => d.id);
      throw new CliError(
        error.code,
        `${error.message}${done.length ? `\napplied before this: ${done.map((d) => `${d.id} (version ${d.newVersion})`).join(", ")}` : ""}${rest.length ? `\nnot applied: ${rest.join(", ")}` : ""}`,
        error.problemType,
      );
    }
  }
  if (ctx.settings.json) io.out(JSON.stringify({ dryRun: false, applied: true, rollouts: plans.map(({ config: _, ...p }) => p) }, null, 2));
  else io.out(c.dim(`applied: ${summary(plans).replace("to create", "created").replace("to update", "updated")}`));
}
