/**
 * The `edge-router` tool outside this repository: `npm pack` (whose `prepare` builds the tool),
 * then the tarball unpacked into an empty temporary directory, with no node_modules anywhere near
 * it, and its bin run through a symlink as npm links it, from a working directory outside the repo.
 *
 * Why unpacked rather than `npm install --offline <tarball>`: the package's `dependencies` (hono
 * and zod, which the worker uses and wrangler bundles) make npm fetch them from the registry even
 * though the tool bundles what it needs, so an offline install fails with ENOTCACHED. Unpacking
 * proves the stronger point anyway: the tool runs with nothing installed next to it.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findCommand } from "../../cli/spec";
import { commandHelp, toolHelp } from "../../cli/help";
import { bucketOf, thresholdOf } from "../../contracts/hash";
import { bundleCli } from "../../scripts/build-cli.mjs";
import { freePort } from "./harness";

const ROOT = join(import.meta.dirname, "..", "..");
/** What a package holding one CLI bundle may weigh, compressed. */
const TARBALL_BUDGET_BYTES = 500 * 1024;
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "edge-router-pack-"));
const pkg = join(dir, "unpacked", "package");
const bin = join(dir, "bin", "edge-router");
let tarball: string;
let entries: string[];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the unpacked tool through its bin symlink (so through its `#!/usr/bin/env node` line). */
function edgeRouter(args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`, NO_COLOR: "1" };
  for (const name of ["FORCE_COLOR", "NODE_PATH", "EDGE_ROUTER_URL", "EDGE_ROUTER_TOKEN", "EDGE_ROUTER_ACTOR"]) delete env[name];
  return new Promise((resolve) => {
    const child = execFile(bin, args, { cwd: dir, env, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end();
  });
}

beforeAll(async () => {
  await run("npm", ["pack", "--pack-destination", dir, "--no-fund", "--no-audit"], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" } });
  const packed = readdirSync(dir).filter((f) => f.endsWith(".tgz"));
  expect(packed).toHaveLength(1);
  tarball = join(dir, packed[0]!);
  entries = (await run("tar", ["-tzf", tarball])).stdout.split("\n").filter(Boolean).sort();
  mkdirSync(dirname(pkg), { recursive: true });
  await run("tar", ["-xzf", tarball, "-C", dirname(pkg)]);
  mkdirSync(dirname(bin));
  symlinkSync(join(pkg, "bin", "edge-router.mjs"), bin); // what npm puts in node_modules/.bin
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the packed edge-router tool", () => {
  it("packs only the built tool, its launcher, README and licences: no TypeScript, worker, tests or node_modules", () => {
    expect(entries).toEqual([
      "package/README.md",
      "package/bin/edge-router.mjs",
      "package/dist/cli/THIRD-PARTY-LICENSES.txt",
      "package/dist/cli/edge-router.mjs",
      "package/package.json",
    ]);
    expect(entries.filter((e) => /\.[cm]?ts$/.test(e))).toEqual([]);
    expect(statSync(tarball).size).toBeLessThan(TARBALL_BUDGET_BYTES);
    expect(readFileSync(join(pkg, "dist", "cli", "THIRD-PARTY-LICENSES.txt"), "utf8")).toMatch(/^zod@\S+ \(MIT\)$/m);
  });

  it("packs the tool built from the sources as they are now (npm pack runs the build)", async () => {
    const packed = readFileSync(join(pkg, "dist", "cli", "edge-router.mjs"), "utf8");
    expect(packed.startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(packed).toBe((await bundleCli()).text);
  });

  it("prints the tool's help and a command's help where neither esbuild nor zod can be found", async () => {
    const resolveFromPackage = createRequire(join(pkg, "bin", "edge-router.mjs")).resolve;
    expect(() => resolveFromPackage("esbuild")).toThrow(/Cannot find module/);
    expect(() => resolveFromPackage("zod")).toThrow(/Cannot find module/);

    expect(await edgeRouter(["--help"])).toEqual({ code: 0, stdout: `${toolHelp()}\n`, stderr: "" });
    expect(await edgeRouter(["bucket", "--help"])).toEqual({ code: 0, stdout: `${commandHelp(findCommand("bucket")!)}\n`, stderr: "" });
    expect((await edgeRouter(["frobnicate"])).code).toBe(1);
  });

  it("exits 3 with a clear message when the router is unreachable", async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    expect(await edgeRouter(["status", "--url", closed, "--token", "t"])).toEqual({
      code: 3,
      stdout: "",
      stderr: `edge-router: cannot reach the router at ${closed}: connection refused (is it running, and is the port right?)\n`,
    });
    // Port 1 is on fetch's list of blocked ports: refused before any connection, still exit 3.
    expect(await edgeRouter(["status", "--url", "http://127.0.0.1:1", "--token", "t"])).toMatchObject({
      code: 3,
      stderr: expect.stringMatching(/^edge-router: cannot reach the router at http:\/\/127\.0\.0\.1:1: /),
    });
  });

  it("validates a config file and buckets users offline as the edge's hash does", async () => {
    const file = join(dir, "rollouts.json");
    const origins = { legacy: "https://legacy.example.com", new: "https://new.example.com" };
    writeFileSync(file, JSON.stringify([{ id: "checkout", origins, percent: 50, salt: "pack-test" }]));
    for (const user of ["alice", "bob", "carol", "dave"]) {
      const res = await edgeRouter(["bucket", "checkout", user, "--file", file, "--json"]);
      expect(res.code).toBe(0);
      const bucket = bucketOf("pack-test", user);
      expect(JSON.parse(res.stdout)).toMatchObject({ user, bucket, variant: bucket < thresholdOf(50) ? "new" : "legacy", reason: "bucket" });
    }
    writeFileSync(file, JSON.stringify([{ id: "checkout", origins, percent: 150 }]));
    const bad = await edgeRouter(["bucket", "checkout", "alice", "--file", file]);
    expect(bad).toMatchObject({ code: 2, stdout: "" });
    expect(bad.stderr).toMatch(/^ {2}\/0\/percent \(rollout "checkout"\): must be between 0 and 100$/m);
  });
});
