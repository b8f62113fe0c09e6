// External tools the load benchmarks need (wrk, nginx): found on PATH or in /usr/sbin, installed
// with apt-get when running as root, otherwise the user is told the command.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** Tools this module can find or install, with the Debian package that provides each. */
const PACKAGES = { wrk: "wrk", nginx: "nginx" };

/**
 * @param {string} cmd
 * @returns {string | null} its absolute path, or null
 */
export function which(cmd) {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  return existsSync(`/usr/sbin/${cmd}`) ? `/usr/sbin/${cmd}` : null;
}

/**
 * Paths of the named tools, installing the missing ones (one apt-get run) when root.
 * @param {string[]} names e.g. ["wrk", "nginx"]
 * @param {(...a: unknown[]) => void} log
 * @returns {Record<string, string>} name → path
 * @throws {Error} when a tool is missing and cannot be installed (the message says how)
 */
export function ensureTools(names, log) {
  const unknown = names.filter((n) => !(n in PACKAGES));
  if (unknown.length) throw new Error(`unknown tool(s): ${unknown.join(", ")}`);
  const missing = names.filter((n) => !which(n));
  if (missing.length) {
    const cmd = `apt-get install -y ${missing.map((n) => PACKAGES[n]).join(" ")}`;
    if (process.getuid?.() !== 0 || !which("apt-get")) {
      throw new Error(`npm run bench needs ${missing.join(" and ")}. Install with:\n  sudo ${cmd}`);
    }
    log(`installing ${missing.join(", ")}: ${cmd}`);
    execFileSync("sh", ["-c", `apt-get update -qq && DEBIAN_FRONTEND=noninteractive ${cmd} -qq`], { stdio: "inherit" });
  }
  const paths = {};
  for (const name of names) {
    const path = which(name);
    if (!path) throw new Error(`${name} is still missing after installing it`);
    paths[name] = path;
  }
  return paths;
}

/**
 * Version strings of the tools found, for the report (missing ones are left out).
 * @param {Record<string, string>} tools name → path
 * @returns {Record<string, string>}
 */
export function toolVersions(tools) {
  const versions = {};
  if (tools.wrk) {
    const out = spawnSync(tools.wrk, ["--version"], { encoding: "utf8" });
    versions.wrk = `${out.stdout ?? ""}${out.stderr ?? ""}`
      .split("\n")[0]
      .split(" [")[0]
      .replace(/^wrk\s*/, "")
      .trim();
  }
  if (tools.nginx) {
    const out = spawnSync(tools.nginx, ["-v"], { encoding: "utf8" });
    versions.nginx = (out.stderr ?? "").trim().replace("nginx version: nginx/", "");
  }
  return versions;
}
