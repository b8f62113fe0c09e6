/**
 * For the workerd tests of external checks and probes: fake metric servers started per test through
 * test/setup/fake-metrics-control.ts, the Durable Object's clock, and its alarm run at a given time.
 */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import { STATE_OBJECT_NAME } from "../../contracts/env";
import type { RolloutState } from "../../control/rollout-state";
import type { RecordedRequest } from "../support/fake-metrics";
import { admin, adminJson } from "./helpers";

export const stub = () => env.ROLLOUT_STATE.get(env.ROLLOUT_STATE.idFromName(STATE_OBJECT_NAME));

/** A fake server (Prometheus, Datadog or a JSON endpoint) of its own, and how to set its answers. */
export interface Fake {
  url: string;
  /** Calls the fake's setter (setVector, setScalar, setSeries, setJson, setRaw…) with these arguments. */
  set(setter: string, ...args: unknown[]): Promise<void>;
  delay(ms: number): Promise<void>;
  requests(): Promise<RecordedRequest[]>;
}

export async function startFake(kind: "prometheus" | "datadog" | "web", options?: unknown): Promise<Fake> {
  const res = await fetch(`${env.TEST_FAKE_METRICS}/start/${kind}`, { method: "POST", body: JSON.stringify(options ?? {}) });
  const { id, url } = await res.json<{ id: string; url: string }>();
  const post = async (path: string, body: unknown) => {
    const r = await fetch(`${env.TEST_FAKE_METRICS}/${id}/${path}`, { method: "POST", body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`fake ${kind} ${path}: ${r.status} ${await r.text()}`);
  };
  return {
    url,
    set: (setter, ...args) => post(setter, args),
    delay: (ms) => post("delay", { delayMs: ms }),
    requests: async () => (await fetch(`${env.TEST_FAKE_METRICS}/${id}/requests`)).json<RecordedRequest[]>(),
  };
}

export async function setClock(at: number | null): Promise<void> {
  await runInDurableObject(stub(), (instance: RolloutState) => {
    instance.now = at === null ? () => new Date() : () => new Date(at);
  });
}

/** The latest time the Durable Object's clock was set to: each test starts a day after it. */
let latest = 0;

/**
 * Starts a test's time: an hour ahead of real time (alarms set from this clock never fire by
 * themselves) and a day after anything an earlier test did, on a 10 s boundary; sets the clock there.
 */
export async function begin(): Promise<number> {
  const t0 = Math.ceil(Math.max(Date.now() + 3_600_000, latest + 86_400_000) / 10_000) * 10_000;
  latest = t0;
  await setClock(t0);
  return t0;
}

/** Runs the alarm at `at` on the Durable Object's clock. */
export async function alarmAt(at: number): Promise<void> {
  latest = Math.max(latest, at);
  await setClock(at);
  expect(await runDurableObjectAlarm(stub())).toBe(true);
}

/** Deletes every rollout but `default`, so that no test's checks are polled by the next one's alarms. */
export async function deleteRollouts(): Promise<void> {
  const list = (await adminJson("GET", "/rollouts")).body as { rollouts: { id: string }[] };
  for (const r of list.rollouts) if (r.id !== "default") await admin("DELETE", `/rollouts/${r.id}`);
}

/** Creates (or replaces) rollout `id` on its own path prefix. */
export async function create(id: string, config: Record<string, unknown>): Promise<void> {
  await admin("DELETE", `/rollouts/${id}`);
  const res = await adminJson("PUT", `/rollouts/${id}`, { match: { pathPrefixes: [`/${id}`] }, origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_NEW_ORIGIN }, ...config });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

// biome-ignore lint/suspicious/noExplicitAny: tests read whatever the endpoint answers
export const rollout = async (id: string): Promise<any> => (await adminJson("GET", `/rollouts/${id}`)).body;
// biome-ignore lint/suspicious/noExplicitAny: tests read whatever the endpoint answers
export const health = async (id: string): Promise<any> => (await adminJson("GET", `/rollouts/${id}/health`)).body;
/** The newest audit entry of a rollout. */
// biome-ignore lint/suspicious/noExplicitAny: tests read whatever the endpoint answers
export const lastAudit = async (id: string): Promise<any> => (await adminJson("GET", `/audit?rollout=${id}&limit=1`)).body.entries[0];
