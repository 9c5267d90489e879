// What JSON can be stored at all: PostgreSQL refuses the NUL character and text that is not
// valid Unicode (a lone surrogate) in text and jsonb, deep nesting overflows the stack of
// every recursive step (serialization, canonical JSON), and `__proto__` is a key JavaScript
// objects cannot hold as data. Such input is refused at the envelope (400), before capture,
// instead of failing a whole capture group or being silently changed.
export const MAX_JSON_DEPTH = 32;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a string cannot be stored, or null. */
export function unstorableString(s: string): string | null {
  if (s.includes("\u0000")) return "must not contain the NUL character (\\u0000)";
  if (LONE_SURROGATE.test(s)) return "must be valid Unicode (it contains a lone surrogate)";
  return null;
}

export interface JsonProblem {
  path: (string | number)[];
  message: string;
}

/** The first part of `value` that cannot be stored, with its path, or null. */
export function unstorableJson(value: unknown, path: (string | number)[] = []): JsonProblem | null {
  const found = firstUnstorable(value, path.length);
  // The path is built only for a problem found, on the way back up: a walk that finds nothing
  // (every event a client sends) allocates no path per member.
  return found ? { path: [...path, ...found.reversedPath.reverse()], message: found.message } : null;
}

function firstUnstorable(value: unknown, depth: number): { reversedPath: (string | number)[]; message: string } | null {
  if (typeof value === "string") {
    const why = unstorableString(value);
    return why ? { reversedPath: [], message: why } : null;
  }
  if (typeof value !== "object" || value === null) return null;
  if (depth >= MAX_JSON_DEPTH) return { reversedPath: [], message: `is nested deeper than ${MAX_JSON_DEPTH} levels` };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = firstUnstorable(value[i], depth + 1);
      if (problem) return problem.reversedPath.push(i), problem;
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    if (key === "__proto__") return { reversedPath: [key], message: "the key __proto__ is not allowed" };
    const keyProblem = unstorableString(key);
    if (keyProblem) return { reversedPath: [key], message: `key ${keyProblem}` };
    const problem = firstUnstorable((value as Record<string, unknown>)[key], depth + 1);
    if (problem) return problem.reversedPath.push(key), problem;
  }
  return null;
}
