/** Shared steps of the shadow traffic tests in workerd: rollouts per host, what the new origins received, flushed results. */
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import type { ShadowConfigInput } from "../../contracts/shadow";
import { admin, adminJson } from "./helpers";

/** A request as a recording origin received it (scripts/origin-server.mjs `record`). */
export interface Received {
  method: string;
  url: string;
  headers: Record<string, string>;
  at: number;
}

/** The host a test rollout matches: its requests reach no other rollout. */
export const hostOf = (id: string) => `${id}.shadow.test`;

/** Creates (or replaces) rollout `id` on its own host: everyone on legacy (0%), shadowing as given. */
export async function shadowRollout(id: string, newOrigin: string, shadow: ShadowConfigInput | undefined, extra: Record<string, unknown> = {}): Promise<void> {
  await admin("DELETE", `/rollouts/${id}`);
  const res = await adminJson("PUT", `/rollouts/${id}`, {
    match: { hosts: [hostOf(id)] },
    origins: { legacy: env.TEST_LEGACY_ORIGIN, new: newOrigin },
    percent: 0,
    ...(shadow ? { shadow } : {}),
    ...extra,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

/** A request through the router to rollout `id`'s host, as `user`. */
export function through(id: string, path: string, user: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("x-user-id", user);
  return exports.default.fetch(`http://${hostOf(id)}${path}`, { redirect: "manual", ...init, headers });
}

/** What `origin` received since it was last cleared. */
export async function received(origin: string): Promise<Received[]> {
  return (await fetch(`${origin}/__origin/received`)).json<Received[]>();
}

/** Forgets what `origin` received. */
export async function clearReceived(origin: string): Promise<void> {
  await (await fetch(`${origin}/__origin/received`, { method: "DELETE" })).arrayBuffer();
}

/** Waits until `check` holds (polling), or fails with `what`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 8000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// biome-ignore lint/suspicious/noExplicitAny: tests read whatever the endpoint answers
export type ShadowReportBody = any;

/**
 * The rollout's shadow report once at least `mirrored` mirrors have reached the control plane: a
 * request now and then lets the isolate flush (it flushes at most once a second).
 */
export async function shadowReport(id: string, mirrored: number, window = 300): Promise<ShadowReportBody> {
  return eventually(`${mirrored} mirrors of ${id} in the control plane`, async () => {
    await exports.default.fetch(`http://router.test/tick`, { headers: { "x-user-id": "ticker" } }).then((r) => r.arrayBuffer());
    const report = await adminJson("GET", `/rollouts/${id}/shadow?window=${window}`);
    const total = report.body.prefixes.reduce((n: number, p: { mirrored: number }) => n + p.mirrored, 0);
    return total >= mirrored ? report.body : undefined;
  });
}
