// Facts about the machine and the software of a run, for the report's header.
import { readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { toolVersions } from "./tools.mjs";
import { workerdVersion } from "./workerd.mjs";

/**
 * @param {import("./context.mjs").BenchContext} ctx
 * @param {number} loadAverage 1-minute load average sampled before the run
 */
export function machineFacts(ctx, loadAverage) {
  const pkg = (name) => JSON.parse(readFileSync(join(ctx.root, "node_modules", ...name.split("/"), "package.json"), "utf8")).version;
  let workerd = "unknown";
  try {
    workerd = workerdVersion(ctx.workerd()).replace(/^workerd\s*/, "");
  } catch {
    // not installed: the report says unknown
  }
  return {
    cpuModel: os.cpus()[0]?.model ?? "unknown CPU",
    cores: os.cpus().length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    loadAverage,
    versions: { workerd, wrangler: pkg("wrangler"), ...toolVersions(ctx.tools), Node: process.version },
  };
}
