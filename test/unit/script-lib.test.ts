/**
 * scripts/lib: the free ports, readiness polling and process groups that npm start, the e2e harness
 * and the benchmarks share. Real sockets and real processes (`sh`, `sleep`, `node`); each process is
 * looked at from outside, with `ps`, not through the module under test.
 */
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, waitFor } from "../../scripts/lib/net.mjs";
import { startGroup } from "../../scripts/lib/processes.mjs";
import { waitUntil } from "../../scripts/lib/wait.mjs";

const HOST = "127.0.0.1";
const PROCESSES = new URL("../../scripts/lib/processes.mjs", import.meta.url).href;

/** Servers and groups a test opened, closed after it whatever happens. */
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(port, HOST, () => {
      cleanups.push(() => new Promise((done) => server.close(done)));
      resolve(server);
    });
  });
}
const portOf = (server: net.Server | http.Server) => (server.address() as net.AddressInfo).port;

/** Processes of group `pgid` that still run (zombies are dead: where nobody reaps them they linger). */
function liveMembers(pgid: number): number[] {
  const table = execFileSync("ps", ["-A", "-o", "pid=,pgid=,stat="], { encoding: "utf8" });
  return table
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([, group, stat]) => Number(group) === pgid && stat !== undefined && !stat.startsWith("Z"))
    .map(([pid]) => Number(pid));
}

/** `sh` (the child) with two `sleep 30` (its children) in one group, once all three run. */
async function shWithGrandchildren(script: string, graceMs: number) {
  const group = await startGroup("sh", ["-c", script], { stdio: "ignore", graceMs });
  cleanups.push(() => group.kill());
  return { group, members: await allThreeRunning(group.pid) };
}

function allThreeRunning(pgid: number): Promise<number[]> {
  return waitUntil(
    () => {
      const members = liveMembers(pgid);
      return members.length === 3 && members;
    },
    { timeoutMs: 5_000, message: `sh and both sleeps of group ${pgid} to run` },
  );
}

describe("freePort", () => {
  it("returns a port that can be bound on loopback", async () => {
    const port = await freePort();
    expect(portOf(await listen(port))).toBe(port);
  });

  it("returns the preferred port when it is free, and another bindable port when it is taken", async () => {
    const free = await freePort();
    expect(await freePort({ preferred: free })).toBe(free);

    const taken = portOf(await listen(0));
    const instead = await freePort({ preferred: taken });
    expect(instead).not.toBe(taken);
    expect(portOf(await listen(instead))).toBe(instead);
  });
});

describe("waitFor", () => {
  it("resolves once a server that starts late answers, and only then", async () => {
    const port = await freePort();
    let listening = false;
    const server = http.createServer((_, res) => res.end("ok"));
    cleanups.push(() => new Promise((done) => server.close(done)));
    setTimeout(() => server.listen(port, HOST, () => (listening = true)), 300);
    await waitFor(`http://${HOST}:${port}/`, { timeoutMs: 5_000 });
    expect(listening).toBe(true);
  });

  it("gives up at its deadline, naming the URL", async () => {
    const port = await freePort();
    await expect(waitFor(`http://${HOST}:${port}/`, { timeoutMs: 300 })).rejects.toThrow(`timed out after 300 ms waiting for http://${HOST}:${port}/ to answer`);
  });
});

describe("process groups", () => {
  it("stops the child and its grandchildren", async () => {
    const { group, members } = await shWithGrandchildren("sleep 30 & sleep 30", 5_000);
    expect(members).toContain(group.pid);
    await group.stop();
    expect(liveMembers(group.pid)).toEqual([]);
    expect(await group.exited).toEqual({ code: null, signal: "SIGTERM" });
  });

  it("kills a group that ignores SIGTERM once the grace period is over", async () => {
    // An ignored signal stays ignored in children: none of the three reacts to SIGTERM.
    const { group } = await shWithGrandchildren("trap '' TERM; sleep 30 & sleep 30", 300);
    const started = Date.now();
    await group.stop();
    expect(liveMembers(group.pid)).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect((await group.exited).signal).toBe("SIGKILL");
  });

  it("resolves stop of a process that already exited, without waiting out the grace period", async () => {
    const group = await startGroup("sh", ["-c", "echo done"], { graceMs: 10_000 });
    expect(await group.exited).toEqual({ code: 0, signal: null });
    const started = Date.now();
    await group.stop();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(group.output()).toBe("done\n");
  });

  it("rejects when the command does not exist", async () => {
    await expect(startGroup("/nonexistent/edge-router-test", [])).rejects.toThrow(/ENOENT/);
  });

  it("kills every group still running when the parent exits without stopping it", async () => {
    // A parent that starts a group, prints its id, and dies of an uncaught error when told to.
    const script = `const { startGroup } = await import(${JSON.stringify(PROCESSES)});
      const group = await startGroup("sh", ["-c", "sleep 30 & sleep 30"], { stdio: "ignore" });
      console.log(group.pid);
      process.stdin.once("data", () => { throw new Error("the parent fails"); });`;
    const parent = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["pipe", "pipe", "ignore"] });
    const exited = new Promise<number | null>((resolve) => parent.once("exit", (code) => resolve(code)));
    const [line] = (await once(parent.stdout, "data")) as [Buffer];
    const pgid = Number(line.toString().trim());
    cleanups.push(() => {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {
        // Gone, as it should be.
      }
    });
    await allThreeRunning(pgid);
    parent.stdin.end("fail now\n");
    expect(await exited).toBe(1);
    await waitUntil(() => liveMembers(pgid).length === 0, { timeoutMs: 2_000, message: `group ${pgid} to be gone after its parent died` });
  });
});
