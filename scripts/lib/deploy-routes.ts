/**
 * Which requests a deployed environment receives, from its routes, custom domains and workers.dev
 * setting: enough to tell whether its admin API (ADMIN_HOSTNAME + ADMIN_PATH_PREFIX) is reachable.
 * Pure. Route patterns follow Cloudflare's rules: `host/path`, a `*` only at the start of the host
 * and the end of the path; a custom domain takes every path of its host.
 */
import type { Route, TargetConfig } from "./deploy-config";

const WORKERS_DEV = ".workers.dev";

/** A route pattern's glob (`*` = anything, including dots and slashes) as an anchored expression. */
function globToRegExp(glob: string, flags = ""): RegExp {
  const escaped = glob.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`, flags);
}

/** `www.example.com/*` (zone), `app.example.com` (custom domain): how the report names a route. */
export function routeLabel(route: Route): string {
  if (typeof route === "string") return route;
  return route.custom_domain ? `${route.pattern} (custom domain)` : route.pattern;
}

/**
 * Whether `route` sends a request for `path` on `host` to the Worker (`host` undefined: on some
 * host, whichever).
 * @example routeCovers("*.example.com/__admin*", "ops.example.com", "/__admin/api") // true
 */
export function routeCovers(route: Route, host: string | undefined, path: string): boolean {
  const pattern = (typeof route === "string" ? route : route.pattern).replace(/^https?:\/\//i, "");
  const customDomain = typeof route !== "string" && route.custom_domain === true;
  const slash = pattern.indexOf("/");
  const hostGlob = slash === -1 ? pattern : pattern.slice(0, slash);
  const pathGlob = customDomain || slash === -1 ? "*" : pattern.slice(slash);
  return (host === undefined || globToRegExp(hostGlob, "i").test(host)) && globToRegExp(pathGlob).test(path);
}

/** wrangler's default: the workers.dev host is on when no routes are set, unless `workers_dev` says otherwise. */
export function workersDevOn(target: Pick<TargetConfig, "workersDev" | "routes">): boolean {
  return target.workersDev ?? target.routes.length === 0;
}

export interface AdminReachability {
  /** Why nobody could reach the admin API, or undefined when some route, domain or workers.dev serves it. */
  problem?: string;
  /** ADMIN_HOSTNAME is a workers.dev host, but not this Worker's (`<name>.<subdomain>.workers.dev`). */
  workersDevHostMismatch?: boolean;
}

/** Whether requests for `<adminHostname><adminPrefix>/api/…` reach this environment's Worker at all. */
export function adminReachability(target: Pick<TargetConfig, "env" | "name" | "workersDev" | "routes">, adminHostname: string | undefined, adminPrefix: string): AdminReachability {
  const probe = `${adminPrefix}/api/openapi.json`;
  const onWorkersDev = adminHostname === undefined || adminHostname.endsWith(WORKERS_DEV);
  if (workersDevOn(target) && onWorkersDev) {
    return { workersDevHostMismatch: adminHostname !== undefined && !adminHostname.startsWith(`${target.name}.`) };
  }
  if (target.routes.some((route) => routeCovers(route, adminHostname, probe))) return {};
  const where = adminHostname === undefined ? `the path ${adminPrefix}` : `${adminHostname}${adminPrefix}`;
  const fix =
    adminHostname === undefined
      ? `a route whose path covers ${adminPrefix} (e.g. "www.example.com/*")`
      : adminHostname.endsWith(WORKERS_DEV)
        ? "workers_dev = true"
        : `{ pattern = "${adminHostname}", custom_domain = true } to routes`;
  const routes = target.routes.length ? target.routes.map(routeLabel).join(", ") : "none";
  return {
    problem: `the admin API would be unreachable: no route of [env.${target.env}] serves ${where} (routes: ${routes}; workers.dev: ${workersDevOn(target) ? "on" : "off"}); add ${fix}`,
  };
}
