/** `edge-router status [id]`: every rollout as a table, or one in detail. */
import type { ExternalReport } from "../../contracts/external-wire";
import type { GlobalKill } from "../../contracts/rollout";
import { isHealth, isRolloutList, isRolloutView, type RolloutList, type RolloutView } from "../shapes";
import type { Context } from "../context";
import { describeConfig } from "../diff";
import { externalLines } from "../external";
import { table, until, utc, type Colors } from "../format";

export function colorStatus(status: string, c: Colors): string {
  switch (status) {
    case "killed":
      return c.bold(c.red(status));
    case "paused":
      return c.yellow(status);
    case "complete":
      return c.cyan(status);
    default:
      return c.green(status);
  }
}

export function globalKillBanner(g: GlobalKill, c: Colors): string {
  return c.bold(
    c.red(`GLOBAL KILL SWITCH ON: every rollout goes to legacy${g.reason ? ` (${JSON.stringify(g.reason)}` : " (no reason given"}, by ${g.by ?? "?"} at ${utc(g.at)})`),
  );
}

/** The stage column: "2/4", "0/4" before the first stage, "-" without stages. */
function stageCell(r: RolloutView): string {
  return r.stage ? `${r.stage.index + 1}/${r.stage.count}` : "-";
}

/** The note column: why it is killed or paused, or where its stages go next. */
function noteCell(r: RolloutView, g: GlobalKill, now: Date): string {
  if (r.config.killed) return `killed: ${r.killReason ?? "no reason given"}`;
  if (g.killed) return "global kill switch";
  if (r.paused) return `paused${r.pauseReason ? `: ${r.pauseReason}` : ""}`;
  if (r.stage?.awaitingApproval) return `awaiting approval for ${r.stage.nextPercent}% (edge-router approve ${r.id})`;
  if (r.stage?.nextPercent !== null && r.stage?.nextPercent !== undefined) {
    const when = until(r.stage.nextDueAt, now);
    return `next ${r.stage.nextPercent}%${when && when !== "now" ? ` ${when}` : ""}`;
  }
  return "";
}

export function formatStatusTable(list: RolloutList, c: Colors, now: Date): string {
  const lines: string[] = [];
  if (list.globalKill.killed) lines.push(globalKillBanner(list.globalKill, c), "");
  if (!list.rollouts.length) lines.push("no rollouts");
  else {
    lines.push(
      table(
        ["ID", "STATUS", "PERCENT", "STAGE", "VERSION", "UPDATED (UTC)", "BY", "NOTE"],
        list.rollouts.map((r) => [
          r.id,
          colorStatus(r.status, c),
          `${r.config.percent}%`,
          stageCell(r),
          String(r.version),
          utc(r.updatedAt),
          r.updatedBy,
          noteCell(r, list.globalKill, now),
        ]),
        [2, 4],
      ),
    );
  }
  lines.push(c.dim(`config version ${list.version}`));
  return lines.join("\n");
}

/** "1 of 4 (10%), next 25% in 9 min; holding at 10%: 9 min left before 25%" */
export function stageLine(stage: NonNullable<RolloutView["stage"]>, now: Date): string {
  const at = stage.index >= 0 ? `${stage.index + 1} of ${stage.count} (${stage.percent}%)` : `before the first of ${stage.count}`;
  const when = until(stage.nextDueAt, now);
  const next = stage.nextPercent !== null ? `, next ${stage.nextPercent}%${when && when !== "now" ? ` ${when}` : ""}` : "";
  return `${at}${next}${stage.waiting ? `; ${stage.waiting}` : ""}`;
}

/** "awaiting approval for 50%: edge-router approve <id>", "50% approved by alice at …", or nothing. */
export function approvalLine(r: RolloutView, c: Colors): string {
  if (r.stage?.awaitingApproval) return c.yellow(`awaiting approval for ${r.stage.nextPercent}%: edge-router approve ${r.id} [--reason TEXT]`);
  const a = r.approval;
  if (a) return `${a.percent}% approved by ${a.by} at ${utc(a.at)} UTC${a.reason ? ` (${JSON.stringify(a.reason)})` : ""}`;
  return "";
}

/** One rollout in detail; `external` (its health report's section) adds its external checks and probes. */
export function formatStatusDetail(r: RolloutView, g: GlobalKill | undefined, c: Colors, now: Date, external?: ExternalReport | null): string {
  const lines: string[] = [];
  if (g?.killed) lines.push(globalKillBanner(g, c), "");
  lines.push(`${c.bold(r.id)}  ${colorStatus(r.status, c)}  ${r.config.percent}% on new`);
  lines.push(`  version     ${r.version}, updated ${utc(r.updatedAt)} UTC by ${r.updatedBy}`);
  if (r.config.killed) lines.push(`  killed      ${r.killReason ? JSON.stringify(r.killReason) : "(no reason given)"}: everyone goes to legacy`);
  if (r.paused) lines.push(`  paused      ${r.pauseReason ? JSON.stringify(r.pauseReason) : "(no reason given)"}`);
  if (r.stage) {
    lines.push(`  stage       ${stageLine(r.stage, now)}`);
  }
  const approval = approvalLine(r, c);
  if (approval) lines.push(`  approval    ${approval}`);
  if (external) lines.push(...externalLines(external, c, now));
  for (const line of describeConfig(r.config).slice(1)) lines.push(`  ${line}`); // the percent is in the first line
  return lines.join("\n");
}

export async function status(ctx: Context): Promise<void> {
  const client = ctx.client();
  const id = ctx.args[0];
  const now = ctx.io.now();
  if (id === undefined) {
    const { body } = await client.get("/rollouts", isRolloutList);
    ctx.io.out(ctx.settings.json ? JSON.stringify(body, null, 2) : formatStatusTable(body, ctx.c, now));
    return;
  }
  const { body } = await client.get(`/rollouts/${encodeURIComponent(id)}`, isRolloutView);
  if (ctx.settings.json) return ctx.io.out(JSON.stringify(body, null, 2));
  // Killed without its own kill switch: the global one is on; fetch it to say why.
  const global = body.status === "killed" && !body.config.killed ? (await client.get("/rollouts", isRolloutList)).body.globalKill : undefined;
  // External checks and probes live in the health report, as the last alarm left them.
  const watched = body.config.guard?.external?.length || body.config.probes?.length;
  const external = watched ? (await client.get(`/rollouts/${encodeURIComponent(id)}/health`, isHealth)).body.external : undefined;
  ctx.io.out(formatStatusDetail(body, global, ctx.c, now, external));
}
