// The router bundle as deployed: `wrangler deploy --dry-run`, the file bare workerd serves.
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

/** gzip level for the reported size (the most a CDN would compress it). */
const GZIP_LEVEL = 9;

/**
 * @param {string} root repository root
 * @param {string} work scratch directory (.bench)
 * @param {{ minify?: boolean }} [options] minify: false keeps function names readable (profiles)
 * @returns {{ path: string, rawBytes: number, gzipBytes: number }}
 */
export function buildRouterBundle(root, work, { minify = true } = {}) {
  const out = join(work, minify ? "dist" : "dist-unminified");
  rmSync(out, { recursive: true, force: true });
  const args = ["deploy", "--dry-run", "--env=", "--outdir", out, ...(minify ? [] : ["--no-minify"])];
  execFileSync(join(root, "node_modules", ".bin", "wrangler"), args, {
    cwd: root,
    stdio: "ignore",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  const path = join(out, "index.js");
  const bytes = readFileSync(path);
  return { path, rawBytes: bytes.length, gzipBytes: gzipSync(bytes, { level: GZIP_LEVEL }).length };
}
