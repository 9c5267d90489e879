// The key-management boundary: what the Keys page, the `npm run keys` CLI and the tRPC
// `keys.*` procedures exchange. Types come from z.infer; the key text itself appears only in
// the answer to `create`, once.
import { z } from "zod";
import { sourceSchema } from "./ingest-schema";

export const apiKeyScopeSchema = z.enum(["write", "read"]);
export type ApiKeyScopeName = z.infer<typeof apiKeyScopeSchema>;

export const createKeyInputSchema = z
  .object({
    scope: apiKeyScopeSchema,
    source: sourceSchema.optional(),
    label: z.string().trim().max(200, "label must be at most 200 characters").optional(),
  })
  .refine((k) => k.scope === "read" || k.source !== undefined, { message: "a write key needs the source it writes", path: ["source"] });
export type CreateKeyInput = z.infer<typeof createKeyInputSchema>;

export const apiKeyViewSchema = z.object({
  prefix: z.string(),
  scope: apiKeyScopeSchema,
  source: z.string().nullable(),
  label: z.string().nullable(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type ApiKeyView = z.infer<typeof apiKeyViewSchema>;

export const createdKeySchema = z.object({ key: z.string(), info: apiKeyViewSchema });
export type CreatedKeyView = z.infer<typeof createdKeySchema>;

export const revokeKeyInputSchema = z.object({ key: z.string().trim().min(4, "give the key or its prefix") });
