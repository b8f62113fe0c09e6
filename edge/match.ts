/**
 * Compiles a config snapshot into a lookup table, once per version; the hot path only looks up.
 * No I/O.
 */
import type { ConfigSnapshot, GlobalKill, RolloutConfig, StickinessSource, StoredRollout } from "../contracts/rollout";
import type { UserSource } from "../contracts/decision";
import { saltState, thresholdOf, type HashState } from "../contracts/hash";
import { normalizePrefix } from "../contracts/paths";
import type { ShadowCompare } from "../contracts/shadow";
import { mirrorCapBytes } from "./shadow/limits";
import { compileShadowSample, type ShadowSample } from "./shadow/sample";
import type { SnapshotSegment } from "../contracts/rules";
import { compileRules, type CompiledRule } from "./rules";
import { compileTokens, type TokenTable } from "./tokens";

/** A mirror waits this long for new's answer (headers and body) when the rollout sets no timeoutMs. */
export const DEFAULT_MIRROR_TIMEOUT_MS = 10_000;

/** A rollout's shadow settings ready for the hot path (edge/shadow/mirror.ts). */
export interface CompiledShadow {
  /** The sticky sample of legacy users mirrored (its own salt, ./shadow/sample.ts). */
  sample: ShadowSample;
  methods: ReadonlySet<string>;
  compare: ShadowCompare;
  forwardCredentials: boolean;
  maxConcurrent: number;
  /** Bytes of each body kept for comparison (./shadow/limits.ts `mirrorCapBytes`). */
  capBytes: number;
  /** The whole mirror (headers and body) gives up after this long: the rollout's timeoutMs, else 10 s. */
  timeoutMs: number;
}

/** A rollout ready for the hot path: everything precomputed. */
export interface CompiledRollout {
  id: string;
  version: number;
  salt: string;
  /** The hash state after the salt, so that each user's hash starts from there. */
  saltState: HashState;
  /** Users whose bucket is below this go to new (basis points of 10,000). */
  threshold: number;
  killed: boolean;
  killReason: string | null;
  stickiness: readonly StickinessSource[];
  /** What each stickiness source is called in decisions and logs (`header:x-user-id`), made once. */
  sourceLabels: readonly UserSource[];
  /** A JWT source is configured: identification may need to verify a token. */
  hasJwtSource: boolean;
  allowNew: ReadonlySet<string>;
  allowLegacy: ReadonlySet<string>;
  /** Targeting rules, compiled with the snapshot's segments inlined (./rules.ts); empty for most rollouts. */
  rules: readonly CompiledRule[];
  origins: { legacy: URL; new: URL };
  retryOnLegacy: boolean;
  /** Time to the origin's response headers before the router gives up (none = the platform's). */
  timeoutMs: number | undefined;
  /** Shadow traffic, when the rollout mirrors anyone (`shadow` set with a percentage above 0). */
  shadow: CompiledShadow | undefined;
  config: RolloutConfig;
}

/** A rollout and the path prefix through which a request matched it. */
export interface PrefixEntry {
  prefix: string;
  rollout: CompiledRollout;
}

/** A compiled snapshot: match a request to at most one rollout. */
export interface RouterTable {
  version: number;
  globalKill: GlobalKill;
  /** Override tokens issued before this (Unix seconds) grant nothing; 0 = none revoked. */
  overridesRevokedBefore: number;
  /** Named admin tokens by id, checked without asking the control plane (./tokens.ts). */
  tokens: TokenTable;
  rollouts: ReadonlyMap<string, CompiledRollout>;
  /** Prefixes per exact host, per wildcard suffix (`.example.com`), and for any host. */
  byHost: ReadonlyMap<string, PrefixIndex>;
  byWildcard: ReadonlyArray<{ suffix: string; entries: PrefixIndex }>;
  anyHost: PrefixIndex;
  /** Some index is by first segment: a request's first path segment must be read. */
  bySegment: boolean;
}

/** From this many prefixes on, a host's prefixes are indexed by first segment (below, a scan is cheaper than reading the segment). */
export const SEGMENT_INDEX_FROM = 16;

/**
 * The path prefixes of one host (or wildcard, or any host), longest first. With many of them, also
 * by first path segment: a prefix can only match a path that starts with the same segment, so a
 * request tries the few prefixes under its own first segment (50 rollouts on one host cost one
 * lookup, not 50 comparisons).
 */
export interface PrefixIndex {
  all: PrefixEntry[];
  /** Prefixes other than `/`, by first segment (`/api/v2` under `api`), longest first; only from SEGMENT_INDEX_FROM prefixes on. */
  bySegment: ReadonlyMap<string, PrefixEntry[]> | undefined;
  /** The `/` prefix, which matches every path. */
  root: PrefixEntry | undefined;
}

const NO_SEGMENTS: ReadonlyMap<string, SnapshotSegment> = new Map();

/** One rollout, compiled; `segments` are those its rules may name. */
export function compileRollout(stored: StoredRollout, segments: ReadonlyMap<string, SnapshotSegment> = NO_SEGMENTS): CompiledRollout {
  const { config } = stored;
  return {
    id: config.id,
    version: stored.version,
    salt: config.salt ?? config.id,
    saltState: saltState(config.salt ?? config.id),
    threshold: thresholdOf(config.percent),
    killed: config.killed,
    killReason: stored.killReason,
    stickiness: config.stickiness,
    sourceLabels: config.stickiness.map(sourceLabel),
    hasJwtSource: config.stickiness.some((s) => "jwt" in s),
    allowNew: new Set(config.allowlist.new),
    allowLegacy: new Set(config.allowlist.legacy),
    rules: compileRules(config.rules, segments),
    origins: { legacy: new URL(config.origins.legacy), new: new URL(config.origins.new) },
    retryOnLegacy: config.retryOnLegacy,
    timeoutMs: config.timeoutMs,
    shadow: compileShadow(config),
    config,
  };
}

/** `header:<name>`, `cookie:<name>` or `jwt:header:<name>` / `jwt:cookie:<name>`. */
export function sourceLabel(source: StickinessSource): UserSource {
  if ("header" in source) return `header:${source.header}`;
  if ("cookie" in source) return `cookie:${source.cookie}`;
  return `jwt:${"header" in source.jwt ? `header:${source.jwt.header}` : `cookie:${source.jwt.cookie}`}`;
}

function compileShadow(config: RolloutConfig): CompiledShadow | undefined {
  const shadow = config.shadow;
  if (!shadow || shadow.percent === 0) return undefined;
  return {
    sample: compileShadowSample(config.salt ?? config.id, shadow.percent),
    methods: new Set(shadow.methods),
    compare: shadow.compare,
    forwardCredentials: shadow.forwardCredentials,
    maxConcurrent: shadow.maxConcurrent,
    capBytes: mirrorCapBytes(shadow.maxConcurrent),
    timeoutMs: config.timeoutMs ?? DEFAULT_MIRROR_TIMEOUT_MS,
  };
}

const byPrefixLengthDesc = (a: PrefixEntry, b: PrefixEntry) => b.prefix.length - a.prefix.length || (a.rollout.id < b.rollout.id ? -1 : 1);

/** The first segment of a normalised path or prefix: `api` for `/api/v2`, `""` for `/`. */
function firstSegment(path: string): string {
  const end = path.indexOf("/", 1);
  return end === -1 ? path.slice(1) : path.slice(1, end);
}

function indexPrefixes(entries: PrefixEntry[]): PrefixIndex {
  const all = entries.sort(byPrefixLengthDesc);
  // Two rollouts never claim the same host and prefix, so there is at most one `/` here.
  const root = all.find((e) => e.prefix === "/");
  if (all.length < SEGMENT_INDEX_FROM) return { all, bySegment: undefined, root };
  const bySegment = new Map<string, PrefixEntry[]>();
  for (const entry of all) {
    if (entry.prefix === "/") continue;
    const key = firstSegment(entry.prefix);
    bySegment.set(key, [...(bySegment.get(key) ?? []), entry]);
  }
  return { all, bySegment, root };
}

export function compileSnapshot(snapshot: ConfigSnapshot): RouterTable {
  const rollouts = new Map<string, CompiledRollout>();
  const byHost = new Map<string, PrefixEntry[]>();
  const wildcards = new Map<string, PrefixEntry[]>();
  const anyHost: PrefixEntry[] = [];
  const segments = new Map((snapshot.segments ?? []).map((s) => [s.name, s]));
  for (const stored of snapshot.rollouts) {
    const rollout = compileRollout(stored, segments);
    rollouts.set(rollout.id, rollout);
    for (const prefix of rollout.config.match.pathPrefixes) {
      const entry = { prefix: normalizePrefix(prefix), rollout };
      if (rollout.config.match.hosts.length === 0) anyHost.push(entry);
      for (const host of rollout.config.match.hosts) {
        const [map, key] = host.startsWith("*.") ? [wildcards, host.slice(1)] : [byHost, host];
        const list = map.get(key) ?? [];
        list.push(entry);
        map.set(key, list);
      }
    }
  }
  const hostIndex = new Map([...byHost].map(([host, list]) => [host, indexPrefixes(list)]));
  const byWildcard = [...wildcards.entries()].map(([suffix, entries]) => ({ suffix, entries: indexPrefixes(entries) })).sort((a, b) => b.suffix.length - a.suffix.length);
  const anyIndex = indexPrefixes(anyHost);
  const bySegment = [...hostIndex.values(), ...byWildcard.map((w) => w.entries), anyIndex].some((index) => index.bySegment !== undefined);
  const revoked = snapshot.overrides?.revokedBefore;
  const overridesRevokedBefore = revoked ? Math.ceil(Date.parse(revoked) / 1000) : 0;
  const tokens = compileTokens(snapshot.tokens);
  return { version: snapshot.version, globalKill: snapshot.globalKill, overridesRevokedBefore, tokens, rollouts, byHost: hostIndex, byWildcard, anyHost: anyIndex, bySegment };
}

/** Whether `path` lies under `prefix` on a segment boundary. */
export function pathHasPrefix(path: string, prefix: string): boolean {
  if (prefix === "/") return true;
  return path.startsWith(prefix) && (path.length === prefix.length || path.charCodeAt(prefix.length) === 47) /* '/' */;
}

function firstIn(entries: readonly PrefixEntry[] | undefined, path: string): PrefixEntry | undefined {
  if (!entries) return undefined;
  for (const entry of entries) if (pathHasPrefix(path, entry.prefix)) return entry;
  return undefined;
}

/** The longest prefix of `index` that `path` (whose first segment is `segment`, when some index needs it) lies under. */
function firstMatch(index: PrefixIndex | undefined, path: string, segment: string): PrefixEntry | undefined {
  if (!index) return undefined;
  if (!index.bySegment) return firstIn(index.all, path);
  return firstIn(index.bySegment.get(segment), path) ?? index.root;
}

/**
 * The rollout a request belongs to: the longest matching path prefix among rollouts for this exact
 * host, then wildcard hosts, then any host; at equal prefix length a more specific host wins.
 */
export function matchRollout(table: RouterTable, hostname: string, path: string): PrefixEntry | undefined {
  const segment = table.bySegment ? firstSegment(path) : "";
  let best: PrefixEntry | undefined;
  // Most deployments match on paths only: then the host is not even looked at.
  if (table.byHost.size > 0 || table.byWildcard.length > 0) {
    const host = hostname.toLowerCase();
    best = firstMatch(table.byHost.get(host), path, segment);
    for (const { suffix, entries } of table.byWildcard) {
      if (!host.endsWith(suffix) || host.length === suffix.length) continue;
      const candidate = firstMatch(entries, path, segment);
      if (candidate && (!best || candidate.prefix.length > best.prefix.length)) best = candidate;
    }
  }
  const any = firstMatch(table.anyHost, path, segment);
  if (any && (!best || any.prefix.length > best.prefix.length)) best = any;
  return best;
}
