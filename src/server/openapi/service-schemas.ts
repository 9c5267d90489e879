// Answers of the service routes (health, readiness, the console session) as zod schemas for
// the OpenAPI document. Their handlers build these bodies inline; test/openapi.test.ts
// checks real answers against the document, so the two cannot drift apart unnoticed.
import { z } from "zod";
import type { Database } from "../db/database";

const databaseKind = z.enum(["postgresql", "pglite"]) satisfies z.ZodType<Database["kind"]>;

export const healthSchema = z.object({ status: z.literal("ok") });

export const readySchema = z.object({
  status: z.literal("ready"),
  database: databaseKind,
  latencyMs: z.number().int().meta({ description: "How long the readiness check took" }),
});

export const notReadySchema = z.union([
  z.object({
    status: z.literal("not-ready"),
    database: z.literal("down").meta({ description: "An outage: the database cannot be reached or timed out; it passes by itself" }),
    reason: z.string(),
  }),
  z.object({
    status: z.literal("not-ready"),
    database: z.literal("up"),
    pendingMigrations: z.array(z.string()).meta({ description: "Migrations not yet applied (still migrating)" }),
  }),
  z.object({
    status: z.literal("not-ready"),
    database: z.literal("misconfigured").meta({ description: "An operator must act: grants, schema, credentials, a read-only database" }),
    reason: z.string(),
  }),
]);

export const sessionStateSchema = z.object({
  authRequired: z.boolean().meta({ description: "Whether access control is on (AUTH_REQUIRED)" }),
  signedIn: z.boolean().meta({ description: "Whether this browser holds a valid operator session (always true with access control off)" }),
});

/** The OpenAPI document itself, as far as a schema of it goes here. */
export const openApiDocumentSchema = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({}),
  paths: z.record(z.string(), z.unknown()),
});
