// The load generator: wrk with bench/load.lua (a different x-user-id on every request), and a
// measurement helper that reads the serving process group's CPU time around the measured run.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { groupCpuSeconds } from "./cpu.mjs";

/** wrk threads; the machine this was written on has 2 cores. */
const WRK_THREADS = 2;
/** A request slower than this counts as a timeout error. */
const WRK_TIMEOUT = "5s";

/**
 * @typedef {{ rps: number, p50: number, p99: number, errors: number, non2xx: number, requests: number, seconds: number }} WrkResult
 */

/**
 * Runs wrk without blocking this process (the origin servers live in its event loop).
 * @param {import("./context.mjs").BenchContext} ctx
 * @param {string} url
 * @param {number} seconds
 * @param {Record<string, string>} [env] e.g. { SPREAD: "1" } to spread requests over /r0 ... /r49
 * @returns {Promise<WrkResult>}
 */
export function runWrk(ctx, url, seconds, env = {}) {
  const args = [`-t${WRK_THREADS}`, `-c${ctx.connections}`, `-d${seconds}s`, "--timeout", WRK_TIMEOUT, "-s", join(ctx.root, "bench", "load.lua"), url];
  return new Promise((resolve, reject) => {
    const child = spawn(ctx.tools.wrk, args, { env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("exit", () => {
      const line = stdout.split("\n").find((l) => l.startsWith("WRKJSON "));
      if (!line) return reject(new Error(`wrk failed: ${stderr}\n${stdout}`));
      const j = JSON.parse(line.slice("WRKJSON ".length));
      const secs = j.duration_us / 1e6;
      resolve({ rps: j.requests / secs, p50: j.p50_us / 1000, p99: j.p99_us / 1000, errors: j.errors, non2xx: j.non2xx, requests: j.requests, seconds: secs });
    });
  });
}

/**
 * A warm-up run, then the measured run. When `pgid` is given, CPU per request is the CPU time
 * the process group used during the measured run divided by the requests wrk completed.
 * @param {import("./context.mjs").BenchContext} ctx
 * @param {{ url: string, pgid?: number, env?: Record<string, string> }} target
 * @returns {Promise<WrkResult & { cpuSeconds: number | null, cpuUsPerRequest: number | null }>}
 */
export async function measureLoad(ctx, { url, pgid, env = {} }) {
  await runWrk(ctx, url, ctx.warmupSeconds, env);
  const before = pgid ? groupCpuSeconds(pgid) : null;
  const result = await runWrk(ctx, url, ctx.durationSeconds, env);
  const cpuSeconds = pgid && before !== null ? groupCpuSeconds(pgid) - before : null;
  const cpuUsPerRequest = cpuSeconds !== null && result.requests > 0 ? (cpuSeconds * 1e6) / result.requests : null;
  return { ...result, cpuSeconds, cpuUsPerRequest };
}
