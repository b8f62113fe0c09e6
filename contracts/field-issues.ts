/**
 * Field-level validation problems, as every part reports them: the admin API in RFC 9457
 * `errors` members, the CLI before it sends anything, the dashboard under a form. No I/O.
 */
import { formatPointer } from "./json-pointer";
import type * as z from "./zod";

/** A field-level validation problem, in the shape of RFC 9457 extension members. */
export interface FieldIssue {
  /** JSON pointer into the request body, e.g. `/origins/new`. */
  pointer: string;
  message: string;
}

/** zod issues → field issues with JSON pointers (prefixed with `prefix`). */
export function toFieldIssues(error: { issues: readonly z.core.$ZodIssue[] }, prefix = ""): FieldIssue[] {
  return error.issues.map((issue) => {
    let message = issue.message;
    if (issue.code === "unrecognized_keys") {
      message = `unknown field${issue.keys.length > 1 ? "s" : ""}: ${issue.keys.join(", ")}`;
    }
    return { pointer: prefix + formatPointer(issue.path), message };
  });
}

/**
 * The issues of one URL parameter (a rollout id, a segment or signal name) against `schema`, each
 * at `pointer`, the member a body would name it by (e.g. `/id`); empty when it is valid.
 */
export function paramIssues(schema: z.ZodMiniType, value: string, pointer: string): FieldIssue[] {
  const parsed = schema.safeParse(value);
  return parsed.success ? [] : toFieldIssues(parsed.error).map((i) => ({ ...i, pointer }));
}
