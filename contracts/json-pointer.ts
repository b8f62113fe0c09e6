/**
 * JSON Pointer (RFC 6901): the one way this codebase names a place inside a JSON document, in
 * field-level errors, shadow-comparison ignore lists and mismatch reports, and external metric
 * checks. No I/O.
 */

/** `a/b~c` → `a~1b~0c`: a reference token as it appears in a pointer. */
export function escapeToken(token: string | number): string {
  return String(token).replaceAll("~", "~0").replaceAll("/", "~1");
}

/** A pointer from a path of keys and indexes; `[]` is the whole document (`""`). */
export function formatPointer(path: ReadonlyArray<string | number | symbol>): string {
  let out = "";
  for (const token of path) out += "/" + escapeToken(typeof token === "symbol" ? (token.description ?? "") : token);
  return out;
}

/**
 * The reference tokens of `pointer`, unescaped, or `undefined` when it is not a valid pointer
 * (it must be empty or start with `/`, and `~` may only be followed by `0` or `1`).
 *
 * @example parsePointer("/items/0/a~1b") // ["items", "0", "a/b"]
 */
export function parsePointer(pointer: string): string[] | undefined {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) return undefined;
  const tokens = pointer.slice(1).split("/");
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (/~[^01]|~$/.test(token)) return undefined;
    tokens[i] = token.replaceAll("~1", "/").replaceAll("~0", "~");
  }
  return tokens;
}

/** Whether `pointer` is a syntactically valid JSON Pointer. */
export function isPointer(pointer: string): boolean {
  return parsePointer(pointer) !== undefined;
}

/**
 * The value `pointer` refers to in `document`, or `undefined` when nothing is there. Array indexes
 * must be written as RFC 6901 says (`0`, `12`, no leading zeros; `-` refers to nothing).
 */
export function valueAt(document: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  if (!tokens) return undefined;
  let current = document;
  for (const token of tokens) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
      current = current[Number(token)];
    } else if (current !== null && typeof current === "object" && Object.hasOwn(current, token)) {
      current = (current as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
  }
  return current;
}
