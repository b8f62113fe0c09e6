// node --test bench/lib/*.test.mjs
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { groupCpuSeconds, parseStat } from "./cpu.mjs";

describe("parseStat", () => {
  it("reads pgrp and utime + stime even when the command name holds spaces and parentheses", () => {
    const line = "42 (a ) b (c) S 1 77 77 0 -1 4194560 0 0 0 0 150 30 0 0 20 0 9 0";
    assert.deepEqual(parseStat(line), { pgrp: 77, ticks: 180 });
  });
});

describe("groupCpuSeconds", () => {
  it("grows by about the CPU this process burns", () => {
    const pgid = parseStat(readFileSync("/proc/self/stat", "utf8")).pgrp;
    const before = groupCpuSeconds(pgid);
    // Burn 300 ms of this process's own CPU (by its own clock: wall time would depend on the load).
    const start = process.cpuUsage();
    while ((({ user, system }) => user + system)(process.cpuUsage(start)) < 300_000);
    const used = groupCpuSeconds(pgid) - before;
    // Its group holds this process, so it used at least that much, give or take two clock ticks.
    assert.ok(used >= 0.28, `measured ${used} s`);
  });
});
