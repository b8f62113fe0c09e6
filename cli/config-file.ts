/**
 * Config as code: a JSON file with one rollout config, an array of them, or
 * `{ "segments": [...], "rollouts": [...] }`, validated with the router's own schemas
 * (`RolloutConfigSchema`, `SegmentBodySchema`) so that what passes here passes there. Whether the
 * segments rules name exist (in the file or on the router) is checked by `apply`, which can ask.
 */
import { readFileSync } from "node:fs";
import type * as z from "../contracts/zod";
import { toFieldIssues } from "../contracts/field-issues";
import { RolloutConfigSchema, type RolloutConfig } from "../contracts/rollout";
import { SegmentBodySchema, SegmentName } from "../contracts/rules";
import { CliError, EXIT } from "./exit";

export interface FileRollout {
  config: RolloutConfig;
  /** Fields the file sets itself (the rest are the schema's defaults). */
  explicit: ReadonlySet<string>;
}

/** A segment as a file names it: `{ "name", "description"?, "when" }`. */
export interface FileSegment {
  name: string;
  description?: string;
  when: z.infer<typeof SegmentBodySchema>["when"];
}

export interface ConfigFile {
  rollouts: FileRollout[];
  segments: FileSegment[];
}

export type ParseResult = ({ ok: true } & ConfigFile) | { ok: false; problems: string[] };

/** Problems of one item as `pointer (label): message`, an unknown field pointed at itself. */
function describeIssues(issues: readonly z.core.$ZodIssue[], prefix: string, label: string): string[] {
  // An unknown field is pointed at itself, not at the object that holds it.
  const split = issues.flatMap((issue): z.core.$ZodIssue[] =>
    issue.code === "unrecognized_keys" ? issue.keys.map((key) => ({ ...issue, keys: [key], path: [...issue.path, key] })) : [issue],
  );
  return toFieldIssues({ issues: split }, prefix).map(({ pointer, message }) => `${pointer || "/"}${label}: ${message}`);
}

/** The file's `segments`, each validated as the router validates `PUT /segments/:name` (plus its name). */
function parseSegments(items: unknown, problems: string[]): FileSegment[] {
  if (items === undefined) return [];
  if (!Array.isArray(items)) {
    problems.push('/segments: must be an array of segments ({ "name", "description", "when" })');
    return [];
  }
  const segments: FileSegment[] = [];
  items.forEach((item, i) => {
    const name = item !== null && typeof item === "object" ? (item as { name?: unknown }).name : undefined;
    const label = typeof name === "string" ? ` (segment "${name}")` : "";
    const named = SegmentName.safeParse(name);
    if (!named.success) {
      problems.push(`/segments/${i}/name${label}: ${name === undefined ? "is missing: every segment in a file needs its name" : named.error.issues[0]!.message}`);
      return;
    }
    const result = SegmentBodySchema.safeParse(item);
    if (!result.success) problems.push(...describeIssues(result.error.issues, `/segments/${i}`, label));
    else segments.push({ name: named.data, ...(result.data.description !== undefined ? { description: result.data.description } : {}), when: result.data.when });
  });
  const seen = new Set<string>();
  for (const { name } of segments) {
    if (seen.has(name)) problems.push(`segment "${name}" appears more than once`);
    seen.add(name);
  }
  return segments;
}

/**
 * Validates a config file's text. Problems name the rollout and a JSON pointer into the file, e.g.
 * `/rollouts/1/percent (rollout "checkout"): must be between 0 and 100`.
 */
export function parseConfigText(text: string): ParseResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`not valid JSON: ${(error as Error).message}`] };
  }
  let items: unknown[];
  /** Where the configs sit in the file, for pointers; null = the file is one config. */
  let base: string | null;
  const problems: string[] = [];
  let segments: FileSegment[] = [];
  if (Array.isArray(parsed)) {
    items = parsed;
    base = "";
  } else if (parsed !== null && typeof parsed === "object" && ("rollouts" in parsed || "segments" in parsed)) {
    const { rollouts = [], segments: segmentItems, ...rest } = parsed as { rollouts?: unknown; segments?: unknown };
    if (!Array.isArray(rollouts)) return { ok: false, problems: ["/rollouts: must be an array of rollout configs"] };
    const extra = Object.keys(rest);
    if (extra.length) return { ok: false, problems: [`/${extra[0]}: unknown field next to "rollouts"`] };
    segments = parseSegments(segmentItems, problems);
    items = rollouts;
    base = "/rollouts";
  } else {
    items = [parsed];
    base = null;
  }
  if (items.length === 0 && segments.length === 0 && problems.length === 0) return { ok: false, problems: ["the file holds no rollout config"] };

  const rollouts: FileRollout[] = [];
  items.forEach((item, i) => {
    const prefix = base === null ? "" : `${base}/${i}`;
    const id = item !== null && typeof item === "object" && typeof (item as { id?: unknown }).id === "string" ? (item as { id: string }).id : undefined;
    const label = id ? ` (rollout "${id}")` : "";
    const result = RolloutConfigSchema.safeParse(item);
    if (!result.success) {
      problems.push(...describeIssues(result.error.issues, prefix, label));
      return;
    }
    rollouts.push({ config: result.data, explicit: new Set(Object.keys(item as object)) });
  });
  const seen = new Set<string>();
  for (const { config } of rollouts) {
    if (seen.has(config.id)) problems.push(`rollout "${config.id}" appears more than once`);
    seen.add(config.id);
  }
  return problems.length ? { ok: false, problems } : { ok: true, rollouts, segments };
}

/** Reads and validates a config file; any problem is an `invalid` error naming every field. */
export function readConfigFile(file: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new CliError(EXIT.invalid, `cannot read ${file}: ${code === "ENOENT" ? "no such file" : (error as Error).message}`);
  }
  const result = parseConfigText(text);
  if (!result.ok) {
    throw new CliError(EXIT.invalid, `${file} is invalid; nothing was changed:\n${result.problems.map((p) => `  ${p}`).join("\n")}`);
  }
  return { rollouts: result.rollouts, segments: result.segments };
}
