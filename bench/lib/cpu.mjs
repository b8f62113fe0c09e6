// Process CPU time from /proc, to compare proxies by CPU per request rather than by requests/s
// alone: on a small shared machine requests/s also depends on what else gets the cores.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** Fields of /proc/<pid>/stat, counted from the one after the command name (field 3, state). */
const STAT = { pgrp: 5 - 3, utime: 14 - 3, stime: 15 - 3 };

let ticksPerSecond = 0;

/** Kernel clock ticks per second, the unit of utime and stime (`getconf CLK_TCK`, usually 100). */
export function clockTicksPerSecond() {
  if (!ticksPerSecond) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * Parses one /proc/<pid>/stat line. The command name (field 2) may hold spaces and parentheses,
 * so fields are counted from its last ")".
 * @param {string} line
 * @returns {{ pgrp: number, ticks: number }} ticks = utime + stime, all threads of the process
 * @example parseStat("42 (workerd) S 1 42 42 0 -1 0 0 0 0 0 150 30 0 0") // { pgrp: 42, ticks: 180 }
 */
export function parseStat(line) {
  const fields = line.slice(line.lastIndexOf(")") + 2).split(" ");
  return { pgrp: Number(fields[STAT.pgrp]), ticks: Number(fields[STAT.utime]) + Number(fields[STAT.stime]) };
}

/**
 * CPU seconds (user + system) used so far by the live processes of process group `pgid`. For
 * workerd that is the one workerd process (every thread); for nginx, master and worker. Children
 * that already exited are not counted (none do during a load run).
 * @param {number} pgid
 * @returns {number}
 */
export function groupCpuSeconds(pgid) {
  let ticks = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let line;
    try {
      line = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    const stat = parseStat(line);
    if (stat.pgrp === pgid) ticks += stat.ticks;
  }
  return ticks / clockTicksPerSecond();
}
