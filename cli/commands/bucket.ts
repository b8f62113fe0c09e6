/** `edge-router bucket <id> <user-id>`: which variant a user gets and why, with the edge's own code. */
import type { ConfigSnapshot } from "../../contracts/rollout";
import { type BucketRequest, explainBucket, formatBucket } from "../bucket";
import { isRolloutList, isSegmentList } from "../shapes";
import { readConfigFile } from "../config-file";
import type { Context } from "../context";
import { CliError, EXIT } from "../exit";

/** The snapshot the edge would hold: from `--file` (offline), or the router's list read once. */
async function snapshotFor(ctx: Context, id: string): Promise<{ snapshot: ConfigSnapshot; note: string }> {
  const file = ctx.values.file;
  if (file !== undefined) {
    const { rollouts, segments } = readConfigFile(file);
    const found = rollouts.find((r) => r.config.id === id);
    if (!found) throw new CliError(EXIT.notFound, `${file} has no rollout "${id}"`);
    return {
      snapshot: {
        version: 0,
        globalKill: { killed: false, reason: null, at: null, by: null },
        segments: segments.map((s) => ({ name: s.name, when: s.when })),
        rollouts: [{ config: found.config, version: 0, updatedAt: "", updatedBy: "", killReason: null }],
      },
      note: `(from ${file}, offline: the router's global kill switch is not known)`,
    };
  }
  const { body } = await ctx.client().get("/rollouts", isRolloutList);
  const found = body.rollouts.find((r) => r.id === id);
  if (!found) throw new CliError(EXIT.notFound, `No rollout has the id "${id}". (edge-router status lists the rollouts)`);
  // Segments only when its rules name some (a router older than segments is never asked).
  const named = found.config.rules?.some((r) => r.when.some((c) => c.segment !== undefined));
  const segments = named ? (await ctx.client().get("/segments", isSegmentList, { feature: "segments" })).body.segments : [];
  return {
    snapshot: { version: body.version, globalKill: body.globalKill, segments: segments.map((s) => ({ name: s.name, when: s.when })), rollouts: body.rollouts },
    note: `(read from ${ctx.client().url})`,
  };
}

/** `--header NAME=VALUE` (repeatable) and `--country CC`, as targeting rules see them. */
export function bucketRequest(values: Context["values"]): BucketRequest | undefined {
  if (values.header === undefined && values.country === undefined) return undefined;
  const headers = new Map<string, string>();
  for (const pair of values.header?.split("\n") ?? []) {
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq).trim().toLowerCase();
    if (eq < 1 || !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) throw new CliError(EXIT.invalid, `--header must be NAME=VALUE with an HTTP header name, got ${JSON.stringify(pair)}`);
    headers.set(name, pair.slice(eq + 1).trim());
  }
  const country = values.country?.trim() ?? null;
  if (country !== null && !/^[A-Z][A-Z0-9]$/.test(country))
    throw new CliError(EXIT.invalid, `--country must be a two-letter code in upper case, e.g. DE, got ${JSON.stringify(values.country)}`);
  return { headers, country };
}

export async function bucket(ctx: Context): Promise<void> {
  const [id, raw] = ctx.args as [string, string];
  const user = raw.trim(); // the edge trims header values
  if (user === "") throw new CliError(EXIT.invalid, "the user id is empty (the router ignores an empty stickiness value)");
  if (user.length > 256) throw new CliError(EXIT.invalid, "the user id is longer than 256 characters");
  const request = bucketRequest(ctx.values); // checked before anything is read
  const { snapshot, note } = await snapshotFor(ctx, id);
  const explanation = explainBucket(snapshot, id, user, request)!;
  ctx.io.out(ctx.settings.json ? JSON.stringify(explanation, null, 2) : formatBucket(explanation, ctx.c, note));
}
