/**
 * Bad bodies as a whole: broken JSON syntax, JSON of the wrong shape, wrong content types, deep
 * nesting, prototype-reaching member names, oversized strings and bodies.
 */
import fc from "fast-check";
import { type BadInputKind, type Endpoint, readsBody, refusesEmptyBody, request, type Target, validText, withMember } from "./endpoints";

type Body = Record<string, unknown>;

/** A kind whose body is text derived from the endpoint's valid body and a generated value. */
function bodyKind<T>(name: string, values: fc.Arbitrary<T>, text: (value: T, valid: Body) => string, appliesTo = readsBody): BadInputKind {
  return { name, appliesTo, request: (e: Endpoint, t: Target) => values.map((v) => request(e, t, { body: text(v, e.valid(t)) })) };
}

const json = (valid: Body) => JSON.stringify(valid);

const word = fc.stringMatching(/^[a-z]{1,12}$/);
const nothing = fc.constant(null);

/** Arrays and objects nested `depth` levels, alternating as `pattern` says (true: an array). */
function nested(depth: number, pattern: (level: number) => boolean): string {
  let open = "";
  let close = "";
  for (let level = 0; level < depth; level++) {
    open += pattern(level) ? "[" : '{"n":';
    close = (pattern(level) ? "]" : "}") + close;
  }
  return open + "1" + close;
}

const syntax: BadInputKind[] = [
  bodyKind("truncated JSON", fc.double({ min: 0, max: 1, noNaN: true }), (f, v) => json(v).slice(0, Math.max(1, Math.floor(f * (json(v).length - 1))))),
  bodyKind("a trailing comma", nothing, (_, v) => withMember(v, "reason", '"x"').replace(/}$/, ",}")),
  bodyKind("single-quoted strings", nothing, (_, v) => withMember(v, "reason", '"x"').replaceAll('"', "'")),
  bodyKind("unquoted member names", nothing, (_, v) => withMember(v, "reason", "1").replace(/"(\w+)":/g, "$1:")),
  bodyKind("a NaN literal", nothing, (_, v) => withMember(v, "percent", "NaN")),
  bodyKind("an Infinity literal", fc.constantFrom("Infinity", "-Infinity"), (x, v) => withMember(v, "percent", x)),
  bodyKind("a hexadecimal number", fc.nat(), (n, v) => withMember(v, "percent", `0x${n.toString(16)}`)),
  bodyKind("a number with a leading zero or plus", fc.constantFrom("012", "+5", "-012", ".5", "5."), (x, v) => withMember(v, "percent", x)),
  bodyKind("a JavaScript comment", fc.constantFrom("/* c */", "// c\n"), (c, v) => c + json(v)),
  bodyKind("two JSON documents back to back", nothing, (_, v) => json(v) + json(v)),
  bodyKind("a bare word", word, (w) => `x${w}`),
  bodyKind("an unterminated string", word, (w) => `{"reason":"${w}`),
  bodyKind("a raw control character inside a string", fc.integer({ min: 0, max: 0x1f }), (c, v) => withMember(v, "reason", `"a${String.fromCharCode(c)}b"`)),
  {
    name: "invalid UTF-8 outside strings",
    appliesTo: readsBody,
    // 0xF8-0xFF never occur in UTF-8.
    request: (e, t) => fc.uint8Array({ minLength: 1, maxLength: 8 }).map((junk) => request(e, t, { body: new Uint8Array([0x7b, ...junk.map((b) => b | 0xf8), 0x7d]) })),
  },
];

const shape: BadInputKind[] = [
  bodyKind("a JSON array where an object is expected", nothing, (_, v) => `[${json(v)}]`),
  bodyKind("an empty JSON array", nothing, () => "[]"),
  bodyKind("a JSON string as the body", fc.string({ maxLength: 50 }), (s) => JSON.stringify(s)),
  bodyKind("a JSON number as the body", fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => JSON.stringify(n)),
  bodyKind("a JSON boolean as the body", fc.boolean(), (b) => JSON.stringify(b)),
  bodyKind("JSON null where a body is required", nothing, () => "null", refusesEmptyBody),
  bodyKind("an empty body where one is required", nothing, () => "", refusesEmptyBody),
  bodyKind("a whitespace-only body where one is required", fc.stringMatching(/^[ \t\r\n]{1,20}$/), (s) => s, refusesEmptyBody),
];

/** A valid body sent with a content type that is not JSON. */
const contentType = (name: string, types: fc.Arbitrary<string>): BadInputKind => ({
  name,
  appliesTo: readsBody,
  request: (e, t) => types.map((type) => request(e, t, { body: validText(e, t), headers: { "content-type": type } })),
});

const contentTypes: BadInputKind[] = [
  contentType("a text/plain content type", fc.constantFrom("text/plain", "text/plain; charset=utf-8")),
  contentType("a form content type", fc.constant("application/x-www-form-urlencoded")),
  contentType("a multipart content type", fc.constant("multipart/form-data; boundary=fuzz")),
  contentType("an XML content type", fc.constantFrom("application/xml", "text/xml")),
  contentType("a content type that only starts like JSON", fc.constantFrom("application/jsonx", "application/json5", "text/json")),
];

const depth: BadInputKind[] = [
  bodyKind("arrays nested 5,000 levels deep", nothing, (_, v) =>
    withMember(
      v,
      "nested",
      nested(5000, () => true),
    ),
  ),
  bodyKind("objects nested 5,000 levels deep", nothing, (_, v) =>
    withMember(
      v,
      "nested",
      nested(5000, () => false),
    ),
  ),
  bodyKind(
    "arrays and objects nested 65 to 20,000 levels deep",
    fc.tuple(fc.integer({ min: 65, max: 20_000 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 8 })),
    ([d, mix], v) =>
      withMember(
        v,
        "nested",
        nested(d, (level) => mix[level % mix.length]!),
      ),
  ),
];

const prototypeKeys: BadInputKind[] = [
  bodyKind("a __proto__ member at the top level", fc.constantFrom('{"percent":100}', '{"killed":true}', "null", "1"), (x, v) => withMember(v, "__proto__", x)),
  bodyKind("a __proto__ member inside a known object", fc.constantFrom("match", "origins", "guard", "allowlist"), (field, v) =>
    withMember(v, field, `{"__proto__":{"hosts":["evil.example"],"new":"https://evil.example"}}`),
  ),
  bodyKind("a constructor member", fc.constantFrom('{"prototype":{"percent":100}}', "1", '"x"'), (x, v) => withMember(v, "constructor", x)),
  bodyKind("a prototype member inside an array element", nothing, (_, v) => withMember(v, "stickiness", '[{"header":"x-user-id","prototype":{"cookie":"a"}}]')),
];

const sizes: BadInputKind[] = [
  bodyKind("a description of 501 to 900,000 characters", fc.integer({ min: 501, max: 900_000 }), (n, v) => withMember(v, "description", `"${"d".repeat(n)}"`)),
  bodyKind("a reason of 501 to 900,000 characters", fc.integer({ min: 501, max: 900_000 }), (n, v) => withMember(v, "reason", `"${"r".repeat(n)}"`)),
  bodyKind("a member name of 1,000 to 200,000 characters", fc.integer({ min: 1000, max: 200_000 }), (n, v) => withMember(v, "k".repeat(n), "1")),
  bodyKind("a body over 1 MiB", fc.integer({ min: 1024 * 1024 + 1, max: 2 * 1024 * 1024 }), (n, v) => withMember(v, "description", `"${"x".repeat(n)}"`)),
];

export const BODY_KINDS: BadInputKind[] = [...syntax, ...shape, ...contentTypes, ...depth, ...prototypeKeys, ...sizes];
