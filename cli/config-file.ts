/**
 * Config as code: a JSON file with one rollout config, an array of them, or `{ "rollouts": [...] }`,
 * validated with the router's own schema (`RolloutConfigSchema`) so that what passes here passes there.
 */
import { readFileSync } from "node:fs";
import { toFieldIssues } from "../contracts/field-issues";
import { RolloutConfigSchema, type RolloutConfig } from "../contracts/rollout";
import { CliError, EXIT } from "./exit";

export interface FileRollout {
  config: RolloutConfig;
  /** Fields the file sets itself (the rest are the schema's defaults). */
  explicit: ReadonlySet<string>;
}

export type ParseResult = { ok: true; rollouts: FileRollout[] } | { ok: false; problems: string[] };

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
  if (Array.isArray(parsed)) {
    items = parsed;
    base = "";
  } else if (parsed !== null && typeof parsed === "object" && "rollouts" in parsed) {
    const { rollouts, ...rest } = parsed as { rollouts: unknown };
    if (!Array.isArray(rollouts)) return { ok: false, problems: ["/rollouts: must be an array of rollout configs"] };
    const extra = Object.keys(rest);
    if (extra.length) return { ok: false, problems: [`/${extra[0]}: unknown field next to "rollouts"`] };
    items = rollouts;
    base = "/rollouts";
  } else {
    items = [parsed];
    base = null;
  }
  if (items.length === 0) return { ok: false, problems: ["the file holds no rollout config"] };

  const problems: string[] = [];
  const rollouts: FileRollout[] = [];
  items.forEach((item, i) => {
    const prefix = base === null ? "" : `${base}/${i}`;
    const id = item !== null && typeof item === "object" && typeof (item as { id?: unknown }).id === "string" ? (item as { id: string }).id : undefined;
    const label = id ? ` (rollout "${id}")` : "";
    const result = RolloutConfigSchema.safeParse(item);
    if (!result.success) {
      for (const issue of result.error.issues) {
        // An unknown field is pointed at itself, not at the object that holds it.
        const split = issue.code === "unrecognized_keys" ? issue.keys.map((key) => ({ ...issue, keys: [key], path: [...issue.path, key] })) : [issue];
        for (const { pointer, message } of toFieldIssues({ issues: split }, prefix)) problems.push(`${pointer || "/"}${label}: ${message}`);
      }
      return;
    }
    rollouts.push({ config: result.data, explicit: new Set(Object.keys(item as object)) });
  });
  const seen = new Set<string>();
  for (const { config } of rollouts) {
    if (seen.has(config.id)) problems.push(`rollout "${config.id}" appears more than once`);
    seen.add(config.id);
  }
  return problems.length ? { ok: false, problems } : { ok: true, rollouts };
}

/** Reads and validates a config file; any problem is an `invalid` error naming every field. */
export function readConfigFile(file: string): FileRollout[] {
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
  return result.rollouts;
}
