/**
 * The router's admin API, as the tool uses it: every failure becomes a one-line message (plus one
 * line per field error) and the exit code of its kind (./exit.ts). The only module that does HTTP.
 */
import { CliError, EXIT } from "./exit";
import { isWriteReply, type Problem, type Shape, type WriteReply } from "./shapes";

export interface RequestOptions {
  body?: unknown;
  /** A version read earlier: the write is refused (412) if the rollout changed since. */
  ifMatch?: number;
  /** What the user asked for, for messages: "promote", "watch"... */
  feature?: string;
  /** What the write was about, for the 412 message: `rollout "checkout"`. */
  subject?: string;
}

export interface ClientConfig {
  url: string | undefined;
  /** The router's ADMIN_PATH_PREFIX. @default "/__admin" */
  prefix?: string | undefined;
  token: string | undefined;
  actor: string | undefined;
  /** Where the token is expected, for messages (`--env`'s variable). @default "EDGE_ROUTER_TOKEN" */
  tokenSource?: string | undefined;
  /** Per request. @default 15000 */
  timeoutMs?: number;
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

/** Where a request failed before any answer: a word the operator understands. */
function networkCause(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (error as { code?: string })?.code;
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused (is it running, and is the port right?)";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "unknown host";
    case "ECONNRESET":
      return "connection reset";
    case "ETIMEDOUT":
    case "UND_ERR_CONNECT_TIMEOUT":
      return "connection timed out";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "host unreachable";
    default:
      return cause?.message ?? (error as Error)?.message ?? String(error);
  }
}

/** `http://host:8787`, `http://host:8787/` and `http://host:8787/__admin/api` all name the same router. */
export function normalizeRouterUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(EXIT.usage, `the router URL must be an absolute http(s) URL such as http://127.0.0.1:8787, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new CliError(EXIT.usage, `the router URL must use http or https, got ${url.protocol}`);
  const path = url.pathname.replace(/\/+$/, "").replace(/\/__admin(\/api)?$/, "");
  return `${url.origin}${path}`;
}

/** The prefix the router uses unless ADMIN_PATH_PREFIX says otherwise. */
export const DEFAULT_PREFIX = "/__admin";

/** The title of the router's OpenAPI document (admin/openapi.ts): how the tool recognises a router. */
export const ROUTER_API_TITLE = "edge-router admin API";

/** `--prefix` as the router's ADMIN_PATH_PREFIX accepts it: `/ops/router`, no trailing slash. */
export function normalizePrefix(raw: string | undefined): string {
  if (raw === undefined) return DEFAULT_PREFIX;
  const prefix = raw.trim().replace(/\/+$/, "");
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(prefix))
    throw new CliError(EXIT.usage, `the admin prefix must be a path like /__admin (the router's ADMIN_PATH_PREFIX), got ${JSON.stringify(raw)}`);
  return prefix;
}

export class AdminClient {
  readonly url: string;
  readonly prefix: string;
  /** The router proved it is one (its public API description) before the token is sent. */
  private verified: Promise<void> | undefined;

  constructor(private readonly config: ClientConfig) {
    if (!config.url) throw new CliError(EXIT.usage, "no router URL: set EDGE_ROUTER_URL or pass --url, e.g. --url http://127.0.0.1:8787");
    this.url = normalizeRouterUrl(config.url);
    this.prefix = normalizePrefix(config.prefix);
  }

  private get api(): string {
    return `${this.url}${this.prefix}/api`;
  }

  /**
   * Before the admin token leaves this machine, the URL must answer as an edge-router admin API
   * under this prefix (its public OpenAPI document names it). Otherwise (a wrong prefix, so the
   * request would be proxied to an origin; or another server) the token is never sent.
   */
  private verifyRouter(): Promise<void> {
    this.verified ??= (async () => {
      const where = `${this.api}/openapi.json`;
      let doc: { info?: { title?: unknown }; servers?: Array<{ url?: unknown }> } | undefined;
      try {
        const signals = [AbortSignal.timeout(this.config.timeoutMs ?? 15_000), ...(this.config.signal ? [this.config.signal] : [])];
        const res = await (this.config.fetch ?? fetch)(where, { headers: { accept: "application/json" }, signal: AbortSignal.any(signals), redirect: "manual" });
        const text = await res.text();
        doc = res.ok ? JSON.parse(text) : undefined;
      } catch (error) {
        if (this.config.signal?.aborted) throw error;
        if (!(error instanceof SyntaxError))
          throw new CliError(EXIT.unreachable, `cannot reach the router at ${this.url}: ${(error as Error)?.name === "TimeoutError" ? "no answer" : networkCause(error)}`);
      }
      if (doc?.info?.title !== ROUTER_API_TITLE || doc.servers?.[0]?.url !== `${this.prefix}/api`) {
        throw new CliError(
          EXIT.failed,
          `${where} is not an edge-router admin API, so the admin token was not sent: check the URL and the admin prefix (--prefix or EDGE_ROUTER_PREFIX, the router's ADMIN_PATH_PREFIX; now ${this.prefix})`,
        );
      }
    })();
    return this.verified;
  }

  get<T>(path: string, shape: Shape<T>, options: RequestOptions = {}): Promise<{ body: T; etag: string | null }> {
    return this.request("GET", path, shape, options);
  }

  send(method: "POST" | "PUT" | "PATCH" | "DELETE", path: string, options: RequestOptions = {}): Promise<{ body: WriteReply; etag: string | null }> {
    return this.request(method, path, isWriteReply, options);
  }

  async request<T>(method: string, path: string, shape: Shape<T>, options: RequestOptions = {}): Promise<{ body: T; etag: string | null }> {
    if (!this.config.token) {
      throw new CliError(EXIT.unauthorized, `no admin token: set ${this.config.tokenSource ?? "EDGE_ROUTER_TOKEN"} (or pass --token) to the router's ADMIN_TOKEN or a named token`);
    }
    await this.verifyRouter();
    const headers: Record<string, string> = { authorization: `Bearer ${this.config.token}`, accept: "application/json" };
    if (this.config.actor) headers["x-actor"] = this.config.actor;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (options.ifMatch !== undefined) headers["if-match"] = `"${options.ifMatch}"`;
    const timeoutMs = this.config.timeoutMs ?? 15_000;
    const signals = [AbortSignal.timeout(timeoutMs), ...(this.config.signal ? [this.config.signal] : [])];
    let res: Response;
    let text: string;
    try {
      res = await (this.config.fetch ?? fetch)(`${this.api}${path}`, {
        redirect: "manual",
        method,
        headers,
        signal: AbortSignal.any(signals),
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      });
      text = await res.text();
    } catch (error) {
      if (this.config.signal?.aborted) throw error;
      const timedOut = (error as Error)?.name === "TimeoutError";
      const why = timedOut ? `no answer within ${timeoutMs / 1000} s` : networkCause(error);
      // A write that was sent but not answered may have been applied: say so rather than guess.
      const unsure = method !== "GET" && (timedOut || why === "connection reset") ? "; the change may or may not have been applied: check with `edge-router status`" : "";
      throw new CliError(EXIT.unreachable, `cannot reach the router at ${this.url}: ${why}${unsure}`);
    }
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.ok) {
      if (!shape(parsed)) {
        throw new CliError(
          EXIT.failed,
          `${this.url} answered ${method} ${path} with something that is not the edge-router admin API (${res.headers.get("content-type") ?? "no content type"}): is the URL the router?`,
        );
      }
      return { body: parsed, etag: res.headers.get("etag") };
    }
    throw this.failure(res.status, parsed as Problem | undefined, method, path, options);
  }

  /** One failed answer → the message and exit code of its kind. */
  private failure(status: number, problem: Problem | undefined, method: string, path: string, options: RequestOptions): CliError {
    const type = problem?.type?.startsWith("urn:edge-router:") ? problem.type.slice("urn:edge-router:".length) : undefined;
    const detail = problem?.detail ?? problem?.title ?? `HTTP ${status}`;
    const fields = problem?.errors?.length ? "\n" + problem.errors.map((e) => `  ${e.pointer || "(body)"}: ${e.message}`).join("\n") : "";
    if (!type) {
      // Not our problem format: something else answers at this URL (another server, a proxy, a login page).
      return new CliError(
        status === 401 ? EXIT.unauthorized : EXIT.failed,
        `${this.url} answered ${method} ${path} with HTTP ${status} and no edge-router problem: is EDGE_ROUTER_URL the router?`,
      );
    }
    switch (status) {
      case 401:
        return new CliError(
          EXIT.unauthorized,
          `unauthorized (401): ${detail} Set ${this.config.tokenSource ?? "EDGE_ROUTER_TOKEN"} (or --token) to the router's ADMIN_TOKEN or a live named token.`,
          type,
        );
      case 403:
        return new CliError(EXIT.forbidden, `forbidden (403): ${detail} Use a token with that scope (edge-router token create … --scopes …).`, type);
      case 404:
        if (type === "rollout-not-found") return new CliError(EXIT.notFound, `${detail} (edge-router status lists the rollouts)`, type);
        if (type === "token-not-found") return new CliError(EXIT.notFound, `${detail} (edge-router token list lists the tokens)`, type);
        if (type === "segment-not-found") return new CliError(EXIT.notFound, detail, type);
        return new CliError(EXIT.unsupported, `this router does not support ${options.feature ?? `${method} ${path}`} (upgrade it): ${detail}`, type);
      case 412:
        return new CliError(
          EXIT.stale,
          `${options.subject ?? "it"} was changed by someone else since you read it${problem?.current !== undefined ? ` (version ${problem.expected ?? options.ifMatch} → ${problem.current})` : ""}; nothing was written, re-run`,
          type,
        );
      case 400:
      case 409:
      case 413:
      case 415:
      case 422:
        return new CliError(EXIT.refused, `the router refused it (${status}): ${detail}${fields}`, type);
      default:
        return new CliError(EXIT.failed, `the router failed (${status}): ${detail}${fields}`, type);
    }
  }
}
