/**
 * The alarm's log of guard and stage decisions: one `"event":"guard"` line per rollout when its
 * verdict, plan or action changes, not one every GUARD_INTERVAL_MS (./policy/schedule.ts).
 */
import type { Evaluation } from "./policy/schedule";

export class GuardLog {
  /** The last verdict status, plan and action logged per rollout. */
  private readonly lastLogged = new Map<string, string>();

  /** Logs `evaluation` (and the action `applied` for it, if any) unless it says what the last line said. */
  write(evaluation: Evaluation, applied: string | undefined): void {
    const { rolloutId, verdict, plan, actor } = evaluation;
    const key = `${verdict.status}|${plan?.action ?? ""}|${applied ?? ""}`;
    if (!applied && this.lastLogged.get(rolloutId) === key) return;
    this.lastLogged.set(rolloutId, key);
    console.log(
      JSON.stringify({
        event: "guard",
        rollout: rolloutId,
        verdict: verdict.status,
        summary: verdict.summary,
        samples: verdict.samples,
        ...(plan ? { stage: plan.action, stageReason: plan.reason } : {}),
        ...(applied ? { action: applied, actor } : {}),
      }),
    );
  }
}
