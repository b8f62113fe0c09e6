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

/**
 * @typedef {WrkResult & { cpuSeconds: number | null, cpuUsPerRequest: number | null }} LoadResult
 * @typedef {LoadResult & { rounds: LoadResult[] }} RoundsResult per figure, the median round's
 */

/**
 * The median of each figure over rounds (the middle value; for an even count, the lower middle);
 * counts (errors, requests) are summed.
 * @param {LoadResult[]} rounds
 * @returns {RoundsResult}
 */
export function summarizeRounds(rounds) {
  const median = (pick) => {
    const values = rounds.map(pick).filter((v) => v !== null && v !== undefined);
    if (!values.length) return null;
    values.sort((a, b) => a - b);
    return values[Math.floor((values.length - 1) / 2)];
  };
  const sum = (pick) => rounds.reduce((n, r) => n + pick(r), 0);
  return {
    rps: median((r) => r.rps),
    cpuUsPerRequest: median((r) => r.cpuUsPerRequest),
    cpuSeconds: median((r) => r.cpuSeconds),
    p50: median((r) => r.p50),
    p99: median((r) => r.p99),
    seconds: sum((r) => r.seconds),
    requests: sum((r) => r.requests),
    errors: sum((r) => r.errors),
    non2xx: sum((r) => r.non2xx),
    rounds,
  };
}

/**
 * Loads every target in turn, `ctx.rounds` times over (so a slow moment of this shared machine
 * falls on all of them rather than on one), and summarizes each target's rounds by their median.
 * @param {import("./context.mjs").BenchContext} ctx
 * @param {Array<{ url: string, pgid?: number, env?: Record<string, string> }>} targets all running
 * @param {(index: number, result: LoadResult, round: number) => void} [onEach]
 * @returns {Promise<RoundsResult[]>}
 */
export async function measureRounds(ctx, targets, onEach) {
  const runs = targets.map(() => /** @type {LoadResult[]} */ ([]));
  for (let round = 0; round < ctx.rounds; round++)
    for (const [i, target] of targets.entries()) {
      const result = await measureLoad(ctx, target);
      onEach?.(i, result, round);
      runs[i]?.push(result);
    }
  return runs.map(summarizeRounds);
}
