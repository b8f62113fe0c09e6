/**
 * Where targeting rules (./rules.ts) read their facts: a proxied request (read lazily, and only for
 * a rollout with rules), an OFREP evaluation context, or nothing at all. No I/O.
 */
import { readCookie } from "./cookies";
import type { RequestFacts } from "./rules";

/** The parts of `request.cf` rules read. */
interface CfFacts {
  country?: string;
  colo?: string;
}

/**
 * A proxied request's facts. Each is read when a rule first asks: the `Cookie` header once, the
 * query string parsed once (only if some rule tests a query parameter).
 */
export class ProxyRequestFacts implements RequestFacts {
  private cookies: string | null | undefined;
  private params: URLSearchParams | undefined;

  constructor(
    private readonly request: Request,
    private readonly url: URL,
  ) {}

  header(name: string): string | null {
    return this.request.headers.get(name);
  }

  cookie(name: string): string | null {
    if (this.cookies === undefined) this.cookies = this.request.headers.get("cookie");
    return readCookie(this.cookies, name) ?? null;
  }

  query(name: string): string | null {
    this.params ??= this.url.searchParams;
    return this.params.get(name);
  }

  country(): string | null {
    return (this.request.cf as CfFacts | undefined)?.country ?? null;
  }

  colo(): string | null {
    return (this.request.cf as CfFacts | undefined)?.colo ?? null;
  }
}

/** No facts at all (every header, cookie, parameter and place absent): claims and segments of claims still apply. */
export const NO_FACTS: RequestFacts = { header: () => null, cookie: () => null, query: () => null, country: () => null, colo: () => null };

/**
 * An attribute of an evaluation context as rules compare it: a string as is, a number or boolean
 * as its JSON text (`true`, `42`), anything else (objects, lists, null) as absent.
 */
function attributeText(attributes: Readonly<Record<string, unknown>>, name: string): string | null {
  if (!Object.hasOwn(attributes, name)) return null;
  const value = attributes[name];
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return null;
}

/**
 * An OFREP evaluation context's facts: code outside the proxy states what the proxy would have
 * seen. A header, cookie or query condition reads the attribute of the same name (a header's name
 * in lower case); `country` and `colo` read the attributes `country` and `colo`. All of it is the
 * caller's word, as headers are the client's.
 */
export function contextFacts(attributes: Readonly<Record<string, unknown>>): RequestFacts {
  const read = (name: string) => attributeText(attributes, name);
  return { header: read, cookie: read, query: read, country: () => read("country"), colo: () => read("colo") };
}
