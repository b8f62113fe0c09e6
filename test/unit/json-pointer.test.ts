import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatPointer, isPointer, parsePointer, valueAt } from "../../contracts/json-pointer";

describe("JSON Pointer (RFC 6901)", () => {
  it("round-trips any path through format and parse", () => {
    fc.assert(
      fc.property(fc.array(fc.string()), (path) => {
        expect(parsePointer(formatPointer(path))).toEqual(path);
      }),
    );
  });

  it("resolves the RFC's own examples", () => {
    const doc = { foo: ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3, "g|h": 4, "i\\j": 5, 'k"l': 6, " ": 7, "m~n": 8 };
    const cases: Array<[string, unknown]> = [
      ["", doc],
      ["/foo", ["bar", "baz"]],
      ["/foo/0", "bar"],
      ["/", 0],
      ["/a~1b", 1],
      ["/c%d", 2],
      ["/e^f", 3],
      ["/g|h", 4],
      ["/i\\j", 5],
      ['/k"l', 6],
      ["/ ", 7],
      ["/m~0n", 8],
    ];
    for (const [pointer, value] of cases) expect(valueAt(doc, pointer)).toEqual(value);
  });

  it("refuses malformed pointers and finds nothing where nothing is", () => {
    for (const bad of ["foo", "/a~2", "/a~"]) expect(isPointer(bad)).toBe(false);
    expect(valueAt({ a: [1] }, "/a/01")).toBeUndefined();
    expect(valueAt({ a: [1] }, "/a/-")).toBeUndefined();
    expect(valueAt({ a: 1 }, "/toString")).toBeUndefined();
    expect(valueAt({ a: { b: null } }, "/a/b")).toBeNull();
  });
});
