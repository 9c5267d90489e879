// "First validation issue → field": the one rule for naming the field a failed parse points
// at, used by every path that turns a zod error into an answer (tRPC input, /ingest's event,
// /ingest/batch's items, SDK bodies and messages). A field is its dotted path below a base
// (`payload.metric`, `events[3].source`, `batch[2].properties.value`), or the base itself, or
// a word for the whole value when there is neither.

/** What the rule needs of a zod issue (zod 4's $ZodIssue has more). */
export interface ValidationIssue {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** The field at `path` below `base`: `base.a.b`; `whole` when both are empty. */
export function fieldAt(path: readonly PropertyKey[], base: string | null = null, whole = "body"): string {
  const parts = [base, ...path.map(String)].filter((p): p is string => p !== null && p !== "");
  return parts.length > 0 ? parts.join(".") : whole;
}

/** The first issue of a failed parse and the field it names. */
export function firstIssue(error: { readonly issues: readonly ValidationIssue[] }, base: string | null = null, whole = "body"): { field: string; issue: ValidationIssue | undefined } {
  const issue = error.issues[0];
  return { field: fieldAt(issue?.path ?? [], base, whole), issue };
}
