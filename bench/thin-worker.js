// The thinnest possible worker proxy, the reference for the router's own overhead on the same
// runtime: hash the user id header (FNV-1a), pick an origin, fetch. No config, no logs, no state.
export default {
  async fetch(request, env) {
    const user = request.headers.get("x-user-id") ?? "";
    let h = 0x811c9dc5;
    for (let i = 0; i < user.length; i++) h = Math.imul(h ^ user.charCodeAt(i), 0x01000193);
    const origin = (h >>> 0) % 10000 < 2500 ? env.NEW_ORIGIN : env.LEGACY_ORIGIN;
    const url = new URL(request.url);
    return fetch(origin + url.pathname + url.search, { method: request.method, headers: request.headers, body: request.body, redirect: "manual" });
  },
};
