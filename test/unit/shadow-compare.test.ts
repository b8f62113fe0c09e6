import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatPointer } from "../../contracts/json-pointer";
import { ShadowCompareSchema, type ShadowCompare } from "../../contracts/shadow";
import { captureBody } from "../../edge/shadow/capture";
import { compareResponses, diffJson, MAX_VALUE_CHARS, type CapturedResponse } from "../../edge/shadow/compare";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = Array<string | number>;

/** Every leaf of a document (primitives and empty containers), as paths. */
function leaves(doc: Json, path: Path = []): Path[] {
  if (Array.isArray(doc)) return doc.length ? doc.flatMap((v, i) => leaves(v, [...path, i])) : [path];
  if (doc !== null && typeof doc === "object") {
    const keys = Object.keys(doc);
    return keys.length ? keys.flatMap((k) => leaves(doc[k]!, [...path, k])) : [path];
  }
  return [path];
}

/** A deep copy of `doc` with `value` at `path`. */
function setAt(doc: Json, path: Path, value: Json): Json {
  if (path.length === 0) return value;
  const copy = structuredClone(doc) as Record<string | number, Json>;
  let parent = copy;
  for (const token of path.slice(0, -1)) parent = parent[token] as Record<string | number, Json>;
  parent[path.at(-1)!] = value;
  return copy as Json;
}

/** The same document with every object's keys in another order. */
function reorder(doc: Json, seed: number): Json {
  if (Array.isArray(doc)) return doc.map((v) => reorder(v, seed));
  if (doc === null || typeof doc !== "object") return doc;
  const keys = Object.keys(doc).sort().reverse();
  const rotated = [...keys.slice(seed % (keys.length || 1)), ...keys.slice(0, seed % (keys.length || 1))];
  return Object.fromEntries(rotated.map((k) => [k, reorder(doc[k]!, seed)]));
}

const json = fc.jsonValue() as fc.Arbitrary<Json>;
const docWithLeaf = json.chain((doc) => {
  const all = leaves(doc);
  return fc.record({ doc: fc.constant(doc), path: fc.constantFrom(...all) });
});
const changed = (old: Json): Json => (old === "changed" ? "changed!" : "changed");

describe("diffJson", () => {
  it("finds no difference between any JSON document and a copy of itself", () => {
    fc.assert(
      fc.property(json, (doc) => {
        expect(diffJson(doc, structuredClone(doc), [])).toBeUndefined();
      }),
    );
  });

  it("finds a single changed leaf at exactly its pointer, with both values", () => {
    fc.assert(
      fc.property(docWithLeaf, ({ doc, path }) => {
        const old = path.reduce<Json>((v, t) => (v as Record<string | number, Json>)[t]!, doc);
        const text = JSON.stringify(old);
        expect(diffJson(doc, setAt(doc, path, changed(old)), [])).toEqual({
          pointer: formatPointer(path),
          legacyValue: text.length <= MAX_VALUE_CHARS ? text : text.slice(0, MAX_VALUE_CHARS - 1) + "…",
          newValue: JSON.stringify(changed(old)),
        });
      }),
    );
  });

  it("ignores a change under an ignored pointer, and only there", () => {
    fc.assert(
      fc.property(docWithLeaf, fc.nat(), ({ doc, path }, cut) => {
        const old = path.reduce<Json>((v, t) => (v as Record<string | number, Json>)[t]!, doc);
        const next = setAt(doc, path, changed(old));
        const ignored = formatPointer(path.slice(0, cut % (path.length + 1)));
        expect(diffJson(doc, next, [ignored])).toBeUndefined();
        // A pointer beside the change hides nothing.
        expect(diffJson(doc, next, [formatPointer([...path.slice(0, -1), "\u0000elsewhere"])])?.pointer).toBe(formatPointer(path));
      }),
    );
  });

  it("does not care about the order of object keys", () => {
    fc.assert(
      fc.property(json, json, fc.nat(), (a, b, seed) => {
        expect(diffJson(a, reorder(a, seed), [])).toBeUndefined();
        expect(diffJson(reorder(a, seed), reorder(b, seed + 1), [])).toEqual(diffJson(a, b, []));
      }),
    );
  });

  it("reports the first differing leaf in sorted key order, deep in arrays", () => {
    const legacy = { total: 10, items: [{ price: 1 }, { price: 2 }, { price: 3, sku: "a" }] };
    const next = { total: 11, items: [{ price: 1 }, { price: 2 }, { price: 4, sku: "a" }] };
    expect(diffJson(legacy, next, [])).toEqual({ pointer: "/items/2/price", legacyValue: "3", newValue: "4" });
    expect(diffJson(legacy, next, ["/items"])).toEqual({ pointer: "/total", legacyValue: "10", newValue: "11" });
  });

  it("reports a missing key at that key and an array length change at the first extra index", () => {
    expect(diffJson({ a: 1, b: null }, { a: 1 }, [])).toEqual({ pointer: "/b", legacyValue: "null", newValue: null });
    expect(diffJson({}, { "a/b~": [1] }, [])).toEqual({ pointer: "/a~1b~0", legacyValue: null, newValue: "[1]" });
    expect(diffJson([1, 2], [1, 2, 3, 4], [])).toEqual({ pointer: "/2", legacyValue: null, newValue: "3" });
    expect(diffJson({ list: [1, 2, 3] }, { list: [1] }, [])).toEqual({ pointer: "/list/1", legacyValue: "2", newValue: null });
    expect(diffJson({ a: [] }, { a: {} }, [])).toEqual({ pointer: "/a", legacyValue: "[]", newValue: "{}" });
    expect(diffJson(1, "1", [])).toEqual({ pointer: "", legacyValue: "1", newValue: '"1"' });
  });

  it("ignores everything when the whole document is ignored, and array elements by index", () => {
    expect(diffJson({ a: 1 }, [2], [""])).toBeUndefined();
    expect(diffJson({ a: 1 }, { a: 2 }, ["not-a-pointer"])?.pointer).toBe("/a");
    expect(diffJson({ rows: [{ t: 1 }, { t: 2 }] }, { rows: [{ t: 9 }, { t: 2 }] }, ["/rows/0/t"])).toBeUndefined();
    expect(diffJson({ rows: [{ t: 1 }, { t: 2 }] }, { rows: [{ t: 1 }, { t: 9 }] }, ["/rows/0/t"])?.pointer).toBe("/rows/1/t");
  });

  it("cuts long values to 200 characters", () => {
    const found = diffJson({ text: "x".repeat(10_000) }, { text: "y".repeat(10_000) }, [])!;
    expect(found.legacyValue!.length).toBeLessThanOrEqual(MAX_VALUE_CHARS);
    expect(found.legacyValue!.startsWith('"xxx')).toBe(true);
    expect(found.newValue!.endsWith("…")).toBe(true);
  });

  it("handles documents nested 100,000 deep without overflowing the stack", () => {
    let a: Json = 1;
    let b: Json = 2;
    for (let i = 0; i < 100_000; i++) [a, b] = [[a], [b]];
    expect(diffJson(a, b, [])?.pointer).toBe("/0".repeat(100_000));
    expect(diffJson(a, {}, [])).toEqual({ pointer: "", legacyValue: "[".repeat(MAX_VALUE_CHARS - 1) + "…", newValue: "{}" });
  });
});

const enc = new TextEncoder();
const CAP = 1024;
async function response(status: number, body: string | null, headers: Record<string, string> = {}, declared: number | null = null): Promise<CapturedResponse> {
  const stream = body === null ? null : new Blob([enc.encode(body)]).stream();
  return { status, headers, body: await captureBody(stream, { capBytes: CAP, declaredLength: declared, drain: declared === null }) };
}
const settings = (compare: Partial<ShadowCompare> = {}) => ShadowCompareSchema.parse(compare);

describe("compareResponses", () => {
  it("reports the status first, then listed headers, then the body", async () => {
    const legacy = await response(200, '{"a":1}', { "content-type": "application/json" });
    const next = await response(500, '{"a":2}', { "content-type": "text/html" });
    const all = settings({ headers: ["content-type"] });
    expect(compareResponses(legacy, next, all)).toEqual({ kind: "status", pointer: null, legacyValue: "200", newValue: "500" });
    expect(compareResponses(legacy, next, { ...all, status: false })).toEqual({
      kind: "header",
      pointer: "/headers/content-type",
      legacyValue: '"application/json"',
      newValue: '"text/html"',
    });
    expect(compareResponses(legacy, next, { ...all, status: false, headers: [] })).toEqual({ kind: "body", pointer: "/a", legacyValue: "1", newValue: "2" });
  });

  it("treats a header absent on one side as a difference and absent on both as equal", async () => {
    const legacy = await response(200, "", { etag: '"v1"' });
    const next = await response(200, "", {});
    expect(compareResponses(legacy, next, settings({ headers: ["etag"] }))).toMatchObject({ kind: "header", legacyValue: '"\\"v1\\""', newValue: null });
    expect(compareResponses(next, next, settings({ headers: ["etag"] }))).toEqual({ kind: "match" });
    const named = await response(200, "", { constructor: "x" });
    expect(compareResponses(named, next, settings({ headers: ["constructor"] }))).toMatchObject({ kind: "header", legacyValue: '"x"', newValue: null });
  });

  it("matches JSON bodies that differ only in whitespace, key order and ignored fields", async () => {
    const legacy = await response(200, '{"id": 7, "meta": {"requestId": "a"}, "items": [1, 2]}');
    const next = await response(200, '{"items":[1,2],"meta":{"requestId":"b"},"id":7}');
    expect(compareResponses(legacy, next, settings({ ignore: ["/meta/requestId"] }))).toEqual({ kind: "match" });
    expect(compareResponses(legacy, next, settings())).toMatchObject({ kind: "body", pointer: "/meta/requestId" });
    expect(compareResponses(legacy, next, settings({ body: "bytes" }))).toMatchObject({ kind: "body", pointer: null });
    expect(compareResponses(legacy, next, settings({ body: "none" }))).toEqual({ kind: "match" });
  });

  it("falls back to bytes when a body is not JSON", async () => {
    const html = await response(200, "<html>oops</html>");
    const data = await response(200, '{"ok":true}');
    const found = compareResponses(data, html, settings());
    expect(found).toMatchObject({ kind: "body", pointer: null });
    if (found.kind === "match") throw new Error("expected a mismatch");
    expect(JSON.parse(found.newValue!)).toMatchObject({ length: 17 });
    expect(compareResponses(html, await response(200, "<html>oops</html>"), settings())).toEqual({ kind: "match" });
  });

  it("compares bodies over the cap by length and the hash of what was read", async () => {
    const big = "x".repeat(CAP * 3);
    const same = compareResponses(await response(200, big, {}, big.length), await response(200, big), settings());
    expect(same).toEqual({ kind: "match" });
    const longer = compareResponses(await response(200, big, {}, big.length), await response(200, big + "x"), settings());
    expect(longer).toMatchObject({ kind: "body", pointer: null });
    const earlyChange = compareResponses(await response(200, big), await response(200, "y" + big.slice(1)), settings());
    expect(earlyChange).toMatchObject({ kind: "body", pointer: null });
    const underAndOver = compareResponses(await response(200, big.slice(0, CAP)), await response(200, big), settings({ body: "bytes" }));
    expect(underAndOver.kind).toBe("body");
  });

  it("treats no body and an empty body alike", async () => {
    expect(compareResponses(await response(204, null), await response(204, ""), settings())).toEqual({ kind: "match" });
    expect(compareResponses(await response(200, null), await response(200, "{}"), settings()).kind).toBe("body");
  });
});
