// nginx with split_clients: the non-programmable reference proxy (25% by user id, no config store).
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, waitFor } from "../../scripts/lib/net.mjs";
import { startGroup } from "../../scripts/lib/processes.mjs";
import { BENCH_CHILD } from "./workerd.mjs";

/**
 * @param {string} dir
 * @param {number} port
 * @param {{ legacy: string, new: string }} origins
 * @returns {string} nginx.conf
 */
function nginxConfig(dir, port, origins) {
  const host = (o) => new URL(o).host;
  return `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream legacy { server ${host(origins.legacy)}; keepalive 64; }
  upstream new { server ${host(origins.new)}; keepalive 64; }
  split_clients "\${http_x_user_id}" $variant { 25% new; * legacy; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://$variant;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header x-rollout-variant $variant;
    }
  }
}
`;
}

/**
 * Starts nginx (master + one worker, one process group) and waits until it proxies.
 * @param {import("./context.mjs").BenchContext} ctx
 * @param {{ legacy: string, new: string }} origins
 * @returns {Promise<{ url: string, pid: number, stop: () => Promise<void> }>}
 */
export async function startNginx(ctx, origins) {
  const port = await freePort();
  const dir = join(ctx.work, "nginx");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "logs"), { recursive: true });
  writeFileSync(join(dir, "nginx.conf"), nginxConfig(dir, port, origins));
  const proc = await startGroup(ctx.tools.nginx, ["-c", join(dir, "nginx.conf"), "-p", dir], BENCH_CHILD);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${url}/__origin/bytes?n=10`, { headers: { "x-user-id": "probe" } });
  } catch (error) {
    await proc.stop();
    throw new Error(`nginx did not serve: ${error.message}\n${proc.output()}`);
  }
  return { url, pid: proc.pid, stop: proc.stop };
}
