// Lengths of time the API counts in, in milliseconds: a module of its own (no zod), so the
// console's pages can compute windows without loading the API's schemas.
export const HOUR_MS = 3_600_000;
