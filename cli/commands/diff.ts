/**
 * `edge-router diff [id] --env staging --against production`: what differs between two
 * environments' rollouts, field by field, as `apply` would show it when promoting one's configs
 * to the other. Exit 0 when they are the same, 11 (EXIT.differ) when they differ.
 */
import { AdminClient } from "../client";
import { isRolloutList } from "../shapes";
import type { Context } from "../context";
import { describeConfig, diffEnvironments, type EnvironmentsDiff } from "../diff";
import { readEnvironmentsFile, selectEnvironment } from "../environments";
import { CliError, EXIT, type ExitCode } from "../exit";

function summary(result: EnvironmentsDiff, here: string, there: string): string {
  const count = (kind: string) => result.rollouts.filter((r) => r.kind === kind).length;
  const parts = [
    [count("differs"), "differ"],
    [count("only-here"), `only in ${here}`],
    [count("only-there"), `only in ${there}`],
    [count("same"), "the same"],
  ]
    .filter(([n]) => n)
    .map(([n, what]) => `${n} ${what}`);
  return parts.length ? parts.join(", ") : "no rollouts on either side";
}

export async function diff(ctx: Context): Promise<ExitCode> {
  const { c, io, settings } = ctx;
  const against = ctx.values.against;
  if (!against) throw new CliError(EXIT.usage, "diff needs --against NAME, the environment to compare with (see edge-router diff --help)");
  if (against === settings.environment) throw new CliError(EXIT.usage, `--env and --against both name "${against}": compare two different environments`);
  const other = selectEnvironment(readEnvironmentsFile(io.env), against, io.env);
  const there = new AdminClient({ ...other, actor: settings.actor, tokenSource: `${other.tokenEnv} (the token variable of environment "${against}")`, signal: io.interrupted });
  const [mine, theirs] = await Promise.all([ctx.client().get("/rollouts", isRolloutList), there.get("/rollouts", isRolloutList)]);

  const id = ctx.args[0];
  if (id !== undefined && ![...mine.body.rollouts, ...theirs.body.rollouts].some((r) => r.id === id)) {
    throw new CliError(EXIT.notFound, `neither environment has a rollout "${id}" (edge-router status lists the rollouts)`);
  }
  const result = diffEnvironments(mine.body, theirs.body, id);
  const here = settings.environment ?? ctx.client().url;
  if (settings.json) {
    io.out(JSON.stringify({ env: here, against, ...result }, null, 2));
    return result.equal ? EXIT.ok : EXIT.differ;
  }
  io.out(`${c.bold(here)} against ${c.bold(against)}: ${summary(result, here, against)} ${c.dim(`(fields: ${against} → ${here})`)}`);
  if (result.globalKill) io.out(c.red(result.globalKill));
  const byId = new Map(mine.body.rollouts.map((r) => [r.id, r]));
  for (const r of result.rollouts) {
    if (r.kind === "same") io.out(`${r.id}: ${c.dim("same")}`);
    else if (r.kind === "only-there") io.out(`${c.bold(r.id)}: ${c.yellow(`only in ${against}`)}`);
    else if (r.kind === "only-here") {
      io.out(`${c.bold(r.id)}: ${c.yellow(`only in ${here}`)}`);
      for (const line of describeConfig(byId.get(r.id)!.config)) io.out(`  ${line}`);
    } else {
      io.out(`${c.bold(r.id)}: ${c.yellow("differs")}`);
      for (const line of r.changes) io.out(`  ${line}`);
    }
  }
  return result.equal ? EXIT.ok : EXIT.differ;
}
