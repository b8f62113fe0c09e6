/**
 * Comparing legacy's answer with the mirror's: pure, over responses already captured (see
 * capture.ts). The result names the first difference only, with an RFC 6901 pointer where there
 * is one and short excerpts of both values: enough for an operator to see what differs, never a
 * whole body (bodies may hold personal data, and examples are stored).
 */
import { formatPointer, parsePointer } from "../../contracts/json-pointer";
import type { ShadowCompare } from "../../contracts/shadow";
import type { Comparison } from "../../contracts/shadow-stats";

/** Longest excerpt of a value kept in a result, in UTF-16 code units (with the ellipsis). */
export const MAX_VALUE_CHARS = 200;

/** A response body as far as it was read. */
export interface CapturedBody {
  /** Total length in bytes; `null` = unknown (reading stopped at the cap and no content-length). */
  length: number | null;
  /** Hash of the first min(length, cap) bytes (16 hex digits, FNV-1a 64, see capture.ts). */
  prefixHash: string;
  /** More than the cap was there: `bytes` is absent and only length and prefix hash compare. */
  truncated: boolean;
  /** The whole body, kept only when not truncated. */
  bytes?: Uint8Array;
}

/** What is compared of a response. */
export interface CapturedResponse {
  status: number;
  /** Only the compared header names, lowercase; a name that is absent was not sent. */
  headers: Record<string, string>;
  /** `null` = no body (HEAD, 204, 304): compares equal to an empty body. */
  body: CapturedBody | null;
}

export type { Comparison, MismatchKind } from "../../contracts/shadow-stats";

/** Where two JSON documents first differ; a value is `null` where that side has nothing. */
export interface JsonDifference {
  pointer: string;
  legacyValue: string | null;
  newValue: string | null;
}

const MATCH: Comparison = { kind: "match" };
// Hash of zero bytes (the FNV-1a 64 offset basis): a missing body is an empty one.
const EMPTY_BODY: CapturedBody = { length: 0, prefixHash: "cbf29ce484222325", truncated: false, bytes: new Uint8Array(0) };

/**
 * Appends JSON text of `value` to `parts`, object keys sorted (the same value always reads the
 * same), stopping once more than {@link MAX_VALUE_CHARS} are written: a difference at the root
 * of a 1 MiB body costs no more than one at a leaf, and the recursion stays shallow.
 */
function writeJson(value: unknown, parts: string[], size: { n: number }): void {
  const put = (text: string) => {
    parts.push(text);
    size.n += text.length;
  };
  if (Array.isArray(value)) {
    put("[");
    for (let i = 0; i < value.length && size.n <= MAX_VALUE_CHARS; i++) {
      if (i > 0) put(",");
      writeJson(value[i], parts, size);
    }
    put("]");
  } else if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    put("{");
    for (let i = 0; i < keys.length && size.n <= MAX_VALUE_CHARS; i++) {
      put((i > 0 ? "," : "") + JSON.stringify(keys[i]!.slice(0, MAX_VALUE_CHARS)) + ":");
      writeJson(record[keys[i]!], parts, size);
    }
    put("}");
  } else {
    // Longer strings are cut anyway: only their first characters need escaping.
    put(JSON.stringify(typeof value === "string" ? value.slice(0, MAX_VALUE_CHARS + 1) : value) ?? "null");
  }
}

/** A JSON text of `value` (keys sorted), cut to {@link MAX_VALUE_CHARS} without splitting a surrogate pair. */
export function excerpt(value: unknown): string {
  const parts: string[] = [];
  writeJson(value, parts, { n: 0 });
  const text = parts.join("");
  if (text.length <= MAX_VALUE_CHARS) return text;
  let end = MAX_VALUE_CHARS - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end) + "…";
}

interface IgnoreNode {
  /** This place and everything under it is ignored. */
  all: boolean;
  children: Map<string, IgnoreNode>;
}

function ignoreTree(ignore: readonly string[]): IgnoreNode {
  const root: IgnoreNode = { all: false, children: new Map() };
  for (const pointer of ignore) {
    // An invalid pointer (refused by the schema anyway) must not turn into "ignore everything".
    const tokens = parsePointer(pointer);
    if (!tokens) continue;
    let node = root;
    for (const token of tokens) {
      let next = node.children.get(token);
      if (!next) {
        next = { all: false, children: new Map() };
        node.children.set(token, next);
      }
      node = next;
    }
    node.all = true;
  }
  return root;
}

interface Frame {
  // A link to the parent, not a copied path: copying would be quadratic in the nesting depth.
  parent: Frame | null;
  token: string | number;
  a: unknown;
  b: unknown;
  hasA: boolean;
  hasB: boolean;
  ignore: IgnoreNode | undefined;
}

function pointerOf(frame: Frame): string {
  const path: Array<string | number> = [];
  for (let f: Frame | null = frame; f?.parent; f = f.parent) path.push(f.token);
  return formatPointer(path.reverse());
}

const shape = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

/** Children in reverse visiting order (the stack pops the first one first). */
function pushChildren(stack: Frame[], f: Frame): void {
  const child = (token: string | number, a: unknown, b: unknown, hasA: boolean, hasB: boolean) =>
    stack.push({ parent: f, token, a, b, hasA, hasB, ignore: f.ignore?.children.get(String(token)) });
  if (Array.isArray(f.a) && Array.isArray(f.b)) {
    const [a, b] = [f.a, f.b];
    // Common indexes first, then the first index present on one side only.
    for (let i = Math.max(a.length, b.length) - 1; i >= 0; i--) child(i, a[i], b[i], i < a.length, i < b.length);
    return;
  }
  const a = f.a as Record<string, unknown>;
  const b = f.b as Record<string, unknown>;
  // Sorted keys: the same documents always report the same first difference, whatever key order.
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i]!;
    child(key, a[key], b[key], Object.hasOwn(a, key), Object.hasOwn(b, key));
  }
}

/**
 * The first place where two parsed JSON documents differ (depth first, object keys in sorted
 * order, array indexes ascending), ignoring `ignore` pointers and everything under them; or
 * `undefined` when they are equal. Iterative, so deeply nested input cannot overflow the stack.
 *
 * @example diffJson({ items: [{ price: 1 }] }, { items: [{ price: 2 }] }, []) // pointer "/items/0/price"
 */
export function diffJson(a: unknown, b: unknown, ignore: readonly string[]): JsonDifference | undefined {
  const stack: Frame[] = [{ parent: null, token: "", a, b, hasA: true, hasB: true, ignore: ignoreTree(ignore) }];
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (f.ignore?.all) continue;
    const differs = !f.hasA || !f.hasB || shape(f.a) !== shape(f.b) || (typeof f.a !== "object" && f.a !== f.b);
    if (differs) {
      return { pointer: pointerOf(f), legacyValue: f.hasA ? excerpt(f.a) : null, newValue: f.hasB ? excerpt(f.b) : null };
    }
    if (typeof f.a === "object" && f.a !== null) pushChildren(stack, f);
  }
  return undefined;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The parsed body, or `undefined` when it was truncated or is not UTF-8 JSON. */
function parseJson(body: CapturedBody): { value: unknown } | undefined {
  if (body.truncated || !body.bytes) return undefined;
  try {
    return { value: JSON.parse(utf8.decode(body.bytes)) };
  } catch {
    return undefined;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const summary = (b: CapturedBody) => excerpt(b.truncated ? { length: b.length, prefixHash: b.prefixHash, truncated: true } : { length: b.length, hash: b.prefixHash });

/** Bytes: exact when both are whole; otherwise known lengths and the hash of what was read. */
function compareBytes(legacy: CapturedBody, next: CapturedBody): Comparison {
  let same: boolean;
  if (legacy.bytes && next.bytes && !legacy.truncated && !next.truncated) same = sameBytes(legacy.bytes, next.bytes);
  else if (legacy.length !== null && next.length !== null && legacy.length !== next.length) same = false;
  else same = legacy.truncated === next.truncated && legacy.prefixHash === next.prefixHash;
  return same ? MATCH : { kind: "body", pointer: null, legacyValue: summary(legacy), newValue: summary(next) };
}

function compareBodies(legacy: CapturedBody, next: CapturedBody, compare: Pick<ShadowCompare, "body" | "ignore">): Comparison {
  if (compare.body === "none") return MATCH;
  if (compare.body === "json") {
    const a = parseJson(legacy);
    const b = parseJson(next);
    if (a && b) {
      const difference = diffJson(a.value, b.value, compare.ignore);
      return difference ? { kind: "body", ...difference } : MATCH;
    }
  }
  return compareBytes(legacy, next);
}

/**
 * The first difference between legacy's answer and new's, in this order: status (when
 * `compare.status`), then each listed header (pointer `/headers/<name>`), then the body as
 * `compare.body` says.
 */
export function compareResponses(legacy: CapturedResponse, next: CapturedResponse, compare: ShadowCompare): Comparison {
  if (compare.status && legacy.status !== next.status) {
    return { kind: "status", pointer: null, legacyValue: excerpt(legacy.status), newValue: excerpt(next.status) };
  }
  for (const name of compare.headers) {
    // Own properties only: a header named "constructor" must not find Object.prototype's.
    const a = Object.hasOwn(legacy.headers, name) ? legacy.headers[name] : undefined;
    const b = Object.hasOwn(next.headers, name) ? next.headers[name] : undefined;
    if (a !== b) {
      return { kind: "header", pointer: formatPointer(["headers", name]), legacyValue: a === undefined ? null : excerpt(a), newValue: b === undefined ? null : excerpt(b) };
    }
  }
  return compareBodies(legacy.body ?? EMPTY_BODY, next.body ?? EMPTY_BODY, compare);
}
