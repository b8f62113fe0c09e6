/**
 * The rollout config's rules that span fields: a pause needs stages, `requireProbes` needs probes,
 * probes need a guard or stages, a schedule needs stages, `requireShadowMatch` needs mirrored
 * traffic and a mismatch limit. Each problem is reported at the field an operator must change.
 * Pure; ./rollout.ts checks every config with them.
 */
import type { RolloutConfigShape } from "./rollout";
import type * as z from "./zod";

/** A config as its fields alone validate it, before these rules. */
type ConfigFields = z.infer<typeof RolloutConfigShape>;

/** One problem: where (a path into the config), what to do about it, and the value at fault. */
export interface CrossFieldProblem {
  path: Array<string | number>;
  message: string;
  input: unknown;
}

/** Every cross-field problem of `config`, in the order an operator reads the config. */
export function crossFieldProblems(config: ConfigFields): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  if (config.guard?.action === "pause" && !config.stages) {
    problems.push({
      path: ["guard", "action"],
      message: 'is "pause", but this rollout has no stages: a pause only stops stages from advancing, so a breach would do nothing. Add stages, or use "kill"',
      input: config.guard.action,
    });
  }
  config.stages?.forEach((stage, i) => {
    if (!stage.requireProbes || config.probes?.length) return;
    problems.push({
      path: ["stages", i, "requireProbes"],
      message: "is true, but this rollout has no probes: the stage could never be entered. Add probes, or leave requireProbes out",
      input: stage.requireProbes,
    });
  });
  if (config.probes?.length && !config.guard && !config.stages) {
    problems.push({
      path: ["probes"],
      message:
        "are set, but this rollout has neither a guard nor stages: a failing probe pauses stages or acts as the guard's action says, so it would do nothing. Add stages or a guard",
      input: config.probes,
    });
  }
  if (config.schedule && !config.stages) {
    problems.push({
      path: ["schedule"],
      message: "is set, but this rollout has no stages: a schedule only times stage moves, so it would do nothing. Add stages, or leave schedule out",
      input: config.schedule,
    });
  }
  for (const problem of shadowMatchProblems(config)) problems.push({ ...problem, input: true });
  return problems;
}

/**
 * A stage that requires a shadow match needs comparisons to judge (`shadow` with a percentage) and
 * a rate to judge them by (`guard.maxMismatchRate`); without either it would wait for ever.
 */
function shadowMatchProblems(config: ConfigFields): Array<{ path: Array<string | number>; message: string }> {
  const index = config.stages?.findIndex((s) => s.requireShadowMatch) ?? -1;
  if (index < 0) return [];
  const path = ["stages", index, "requireShadowMatch"];
  const problems = [];
  if (!config.shadow || config.shadow.percent === 0) {
    problems.push({
      path,
      message:
        "is true, but this rollout mirrors no traffic (shadow is absent or at 0%): the stage would wait for ever. Set shadow.percent above 0, or leave requireShadowMatch out",
    });
  }
  if (config.guard?.maxMismatchRate === undefined) {
    problems.push({
      path,
      message:
        "is true, but the guard sets no maxMismatchRate: the stage needs that limit to judge the mismatch rate. Add guard.maxMismatchRate (e.g. 0.01), or leave requireShadowMatch out",
    });
  }
  return problems;
}
