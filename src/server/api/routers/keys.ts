// tRPC `keys.*`: key management for the operator (the Keys page and `npm run keys` against a
// running server). Thin: check the principal, call src/server/auth/api-keys.ts.
import { z } from "zod";
import { apiKeyViewSchema, createdKeySchema, createKeyInputSchema, revokeKeyInputSchema, type ApiKeyView } from "../../../lib/keys-schema";
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyRecord } from "../../auth/api-keys";
import { operatorProcedure, router } from "../trpc";

export function keyView(k: ApiKeyRecord): ApiKeyView {
  return {
    prefix: k.prefix,
    scope: k.scope,
    source: k.source,
    label: k.label,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}

export const keysRouter = router({
  list: operatorProcedure("manage keys").output(z.array(apiKeyViewSchema)).query(async ({ ctx }) => {
    return (await listApiKeys(ctx.db)).map(keyView);
  }),
  create: operatorProcedure("manage keys")
    .input(createKeyInputSchema)
    .output(createdKeySchema)
    .mutation(async ({ ctx, input }) => {
      const { key, record } = await createApiKey(ctx.db, input);
      return { key, info: keyView(record) };
    }),
  revoke: operatorProcedure("manage keys")
    .input(revokeKeyInputSchema)
    .output(apiKeyViewSchema)
    .mutation(async ({ ctx, input }) => {
      return keyView(await revokeApiKey(ctx.db, input.key));
    }),
});
