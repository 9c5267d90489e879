// The create-key form's model: what a person typed → the `keys.create` input, checked with
// the SAME zod schema the server applies (createKeyInputSchema), so the form refuses exactly
// what the server would. Blank optional fields mean "not given". Pure functions.
import { createKeyInputSchema, type ApiKeyScopeName, type CreateKeyInput } from "./keys-schema";

export interface KeyFormValues {
  scope: ApiKeyScopeName;
  source: string;
  label: string;
}

export type KeyFormField = keyof KeyFormValues;
export type KeyFormErrors = Partial<Record<KeyFormField, string>>;

export const emptyKeyForm: KeyFormValues = { scope: "write", source: "", label: "" };

const blankToUndefined = (text: string) => (text.trim() === "" ? undefined : text);

export function checkKeyForm(
  v: KeyFormValues,
): { input: CreateKeyInput; errors?: undefined } | { input?: undefined; errors: KeyFormErrors } {
  const parsed = createKeyInputSchema.safeParse({ scope: v.scope, source: blankToUndefined(v.source), label: blankToUndefined(v.label) });
  if (parsed.success) return { input: parsed.data };
  const errors: KeyFormErrors = {};
  for (const issue of parsed.error.issues) {
    const field = issue.path[0];
    const at: KeyFormField = field === "source" || field === "label" ? field : "scope";
    errors[at] ??= issue.message;
  }
  return { errors };
}
