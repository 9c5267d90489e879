// RFC 8785 canonical JSON: the foundation of the deterministic dedup key.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../src/server/ingest/canonical-json";

describe("canonical JSON (RFC 8785)", () => {
  it("matches the RFC's own examples of number serialization", () => {
    // RFC 8785 Appendix B, a selection.
    expect(canonicalJson(JSON.parse("[1E30, 4.50, 2e-3, 0.000001, 1e-7, 333333333.33333329, -0]"))).toBe(
      "[1e+30,4.5,0.002,0.000001,1e-7,333333333.3333333,0]",
    );
  });

  it("sorts members by UTF-16 code units, recursively, and drops whitespace", () => {
    const input = JSON.parse('{ "b": 1, "a": { "z": [ 3, { "y": 1, "x": 2 } ], "\u00e9": 0, "\u20ac": 1, "\ud83d\ude00": 2, "A": 3 } }');
    expect(canonicalJson(input)).toBe('{"a":{"A":3,"z":[3,{"x":2,"y":1}],"é":0,"€":1,"😀":2},"b":1}');
  });

  it("escapes strings as RFC 8785 prescribes", () => {
    expect(canonicalJson({ s: '\u0000\b\f\n\r\t"\\/\u001f\u007f' })).toBe('{"s":"\\u0000\\b\\f\\n\\r\\t\\"\\\\/\\u001f\u007f"}');
  });

  it("is independent of member order and round-trips through JSON.parse", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const canonical = canonicalJson(value);
        expect(canonicalJson(JSON.parse(canonical))).toBe(canonical);
        expect(canonicalJson(JSON.parse(JSON.stringify(value, null, 2)))).toBe(canonical);
        if (value && typeof value === "object" && !Array.isArray(value)) {
          const reversed = Object.fromEntries(Object.entries(value).reverse());
          expect(canonicalJson(reversed)).toBe(canonical);
        }
      }),
      { numRuns: 300 },
    );
  });
});
