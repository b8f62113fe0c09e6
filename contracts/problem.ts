/** RFC 9457 problem details: the one wire format for every error the router itself produces. */

export interface Problem {
  /** A stable identifier of the kind of problem, `urn:edge-router:<slug>`. */
  type: string;
  title: string;
  status: number;
  detail?: string;
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** A problem+json response. */
export function problemResponse(status: number, slug: string, title: string, detail?: string, extensions: Record<string, unknown> = {}, headers?: HeadersInit): Response {
  const body: Problem = { type: `urn:edge-router:${slug}`, title, status, ...(detail ? { detail } : {}), ...extensions };
  const h = new Headers(headers);
  h.set("content-type", PROBLEM_CONTENT_TYPE);
  h.set("cache-control", "no-store");
  return new Response(JSON.stringify(body, null, 2) + "\n", { status, headers: h });
}
