/** `edge-router bucket <id> <user-id>`: which variant a user gets and why, with the edge's own code. */
import type { ConfigSnapshot } from "../../contracts/rollout";
import { explainBucket, formatBucket } from "../bucket";
import { isRolloutList } from "../client";
import { readConfigFile } from "../config-file";
import type { Context } from "../context";
import { CliError, EXIT } from "../exit";

/** The snapshot the edge would hold: from `--file` (offline), or the router's list read once. */
async function snapshotFor(ctx: Context, id: string): Promise<{ snapshot: ConfigSnapshot; note: string }> {
  const file = ctx.values.file;
  if (file !== undefined) {
    const found = readConfigFile(file).find((r) => r.config.id === id);
    if (!found) throw new CliError(EXIT.notFound, `${file} has no rollout "${id}"`);
    return {
      snapshot: {
        version: 0,
        globalKill: { killed: false, reason: null, at: null, by: null },
        rollouts: [{ config: found.config, version: 0, updatedAt: "", updatedBy: "", killReason: null }],
      },
      note: `(from ${file}, offline: the router's global kill switch is not known)`,
    };
  }
  const { body } = await ctx.client().get("/rollouts", isRolloutList);
  if (!body.rollouts.some((r) => r.id === id)) throw new CliError(EXIT.notFound, `No rollout has the id "${id}". (edge-router status lists the rollouts)`);
  return { snapshot: { version: body.version, globalKill: body.globalKill, rollouts: body.rollouts }, note: `(read from ${ctx.client().url})` };
}

export async function bucket(ctx: Context): Promise<void> {
  const [id, raw] = ctx.args as [string, string];
  const user = raw.trim(); // the edge trims header values
  if (user === "") throw new CliError(EXIT.invalid, "the user id is empty (the router ignores an empty stickiness value)");
  if (user.length > 256) throw new CliError(EXIT.invalid, "the user id is longer than 256 characters");
  const { snapshot, note } = await snapshotFor(ctx, id);
  const explanation = explainBucket(snapshot, id, user)!;
  ctx.io.out(ctx.settings.json ? JSON.stringify(explanation, null, 2) : formatBucket(explanation, ctx.c, note));
}
