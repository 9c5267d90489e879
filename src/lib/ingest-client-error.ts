// What the console needs to know about a failed ingest call: the server's error body
// (`data.appError`, the same { code, message, field, retryable } the REST API sends) or,
// when no answer arrived at all, a network failure, which is retryable by definition:
// the request may or may not have reached the server, and the idempotency key makes a
// re-send safe either way.
import { z } from "zod";

const appErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  field: z.string().optional(),
  retryable: z.boolean(),
});

export type IngestClientError = z.infer<typeof appErrorSchema> & { httpStatus?: number };

const trpcErrorShapeSchema = z.object({
  message: z.string(),
  data: z.object({ appError: appErrorSchema.optional(), httpStatus: z.number().optional() }).optional(),
});

export function toIngestClientError(thrown: unknown): IngestClientError {
  const parsed = trpcErrorShapeSchema.safeParse(thrown);
  const appError = parsed.success ? parsed.data.data?.appError : undefined;
  if (appError) return { ...appError, httpStatus: parsed.success ? parsed.data.data?.httpStatus : undefined };
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return { code: "NETWORK_ERROR", message: `No answer from the server (${message})`, retryable: true };
}
