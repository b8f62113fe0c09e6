// What every benchmark receives: the run's parameters and shared fixtures, each built on first use
// (so `--only decision` needs neither wrk nor workerd nor the origins).
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startOrigin } from "../../scripts/origin-server.mjs";
import { buildRouterBundle } from "./bundle.mjs";
import { workerdBinary } from "./workerd.mjs";

/** Repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Parameters of a full run and of a `--quick` one. */
export const PROFILES = {
  full: { durationSeconds: 10, warmupSeconds: 3, rounds: 3, kills: 20, decisions: 1_000_000, startRepeats: 5 },
  quick: { durationSeconds: 4, warmupSeconds: 1, rounds: 1, kills: 5, decisions: 200_000, startRepeats: 3 },
};
/** Concurrent connections of every wrk run. */
export const CONNECTIONS = 32;

/**
 * @typedef {{ legacy: string, new: string }} Origins
 * @typedef {typeof PROFILES.full & {
 *   quick: boolean, connections: number, root: string, work: string,
 *   tools: Record<string, string>,
 *   log: (...a: unknown[]) => void,
 *   workerd: () => string,
 *   bundle: () => { path: string, rawBytes: number, gzipBytes: number },
 *   origins: () => Promise<Origins>,
 * }} BenchContext
 */

/**
 * @param {{ quick: boolean, tools: Record<string, string>, log: (...a: unknown[]) => void }} options
 * @returns {{ ctx: BenchContext, dispose: () => Promise<void> }}
 */
export function createContext({ quick, tools, log }) {
  const work = join(ROOT, ".bench");
  mkdirSync(work, { recursive: true });
  const once = (make) => {
    let value;
    let made = false;
    return () => {
      if (!made) {
        value = make();
        made = true;
      }
      return value;
    };
  };
  const servers = [];
  const origins = once(async () => {
    const legacy = await startOrigin({ name: "legacy" });
    const next = await startOrigin({ name: "new" });
    servers.push(legacy, next);
    return { legacy: legacy.url, new: next.url };
  });
  const ctx = {
    ...(quick ? PROFILES.quick : PROFILES.full),
    quick,
    connections: CONNECTIONS,
    root: ROOT,
    work,
    tools,
    log,
    workerd: once(() => workerdBinary(ROOT)),
    bundle: once(() => {
      log("bundling the router (wrangler deploy --dry-run)");
      return buildRouterBundle(ROOT, work);
    }),
    origins,
  };
  return { ctx, dispose: async () => void (await Promise.all(servers.map((s) => s.close()))) };
}
