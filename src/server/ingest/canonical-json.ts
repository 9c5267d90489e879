// RFC 8785 JSON Canonicalization Scheme (JCS) for values that came out of JSON.parse:
// object members sorted by their UTF-16 code units, no whitespace, numbers in the
// ECMAScript shortest round-trip form (so `1`, `1.0` and `1e0` are all "1"), strings in
// JSON.stringify's escaping, which is the one RFC 8785 prescribes.
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError("canonical JSON cannot represent a non-finite number");
    return Object.is(value, -0) ? "0" : JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object") {
    // Default sort compares UTF-16 code units, exactly as RFC 8785 §3.2.3 requires.
    const keys = Object.keys(value).sort();
    const members = keys
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${members.join(",")}}`;
  }
  throw new TypeError(`canonical JSON cannot represent a ${typeof value}`);
}
