// One documented operation, as the tables (rest-, sdk-, trpc-, service-operations.ts) write
// it, and how it becomes an OpenAPI operation: its access brings its security requirements
// and its 401/403 refusals, its error codes bring their responses (error-responses.ts), and
// every operation reads X-Request-Id and answers it. Every operation but the probes and the
// scrape may be refused 503 SHUTTING_DOWN while the instance stops (http/drain.ts).
import { z } from "zod";
import type { oas31, ZodOpenApiOperationObject, ZodOpenApiResponsesObject } from "zod-openapi";
import type { AppErrorCode } from "../errors";
import type { HttpMethod } from "../http/routes";
import { errorResponses, type ErrorEnvelope } from "./error-responses";
import { requestIdHeader, requestIdParam } from "./headers";
import { securityOf, type Access } from "./security";

/** `METHOD /path`: a table is keyed by what the server matches on. */
export type OperationKey = `${HttpMethod} /${string}`;

export type Tag = "Events" | "Segment / RudderStack" | "PostHog" | "Meters (OpenMeter)" | "tRPC" | "Service";

export interface OperationSpec {
  operationId: string;
  summary: string;
  description: string;
  tag: Tag;
  access: Access;
  /** Request headers the route reads, besides X-Request-Id. */
  headers?: z.ZodRawShape;
  query?: z.ZodObject;
  /** The `{name}` segments of the path. */
  path?: z.ZodObject;
  /** Parameters zod-openapi cannot build from a zod object (a query parameter whose value is JSON). */
  parameters?: oas31.ParameterObject[];
  body?: { schema: z.ZodType; description: string; anyContentType?: boolean; otherTypes?: Record<string, z.ZodType> };
  answer: {
    schema: z.ZodType;
    description: string;
    headers?: z.ZodRawShape;
    mediaType?: string;
    examples?: Record<string, oas31.ExampleObject>;
    /** The success status, when not 200 (a DELETE's 204 has no body). */
    status?: "204";
  };
  /** Answers that are not errors of the error table (readiness's 503). */
  otherAnswers?: ZodOpenApiResponsesObject;
  /** Error codes besides the refusals its access brings. */
  errors: readonly AppErrorCode[];
  envelope: ErrorEnvelope;
  /** Answered as usual while the instance stops (the route table's `servedWhileStopping`). */
  servedWhileStopping?: true;
  extensions?: Record<`x-${string}`, unknown>;
}

export type OperationTable = Partial<Record<OperationKey, OperationSpec>>;

export function toOperation(spec: OperationSpec): ZodOpenApiOperationObject {
  const { security, refusals, note } = securityOf(spec.access);
  const json = spec.body && { schema: spec.body.schema };
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    description: `${spec.description}\n\n${note}`,
    tags: [spec.tag],
    security,
    requestParams: { header: z.object({ ...spec.headers, "X-Request-Id": requestIdParam }), ...(spec.query ? { query: spec.query } : {}), ...(spec.path ? { path: spec.path } : {}) },
    ...(spec.parameters ? { parameters: spec.parameters } : {}),
    ...(spec.body && json
      ? {
          requestBody: {
            required: true,
            description: spec.body.description,
            // SDK routes read any Content-Type as JSON (browsers' beacons send text/plain).
            content: {
              "application/json": json,
              ...Object.fromEntries(Object.entries(spec.body.otherTypes ?? {}).map(([type, schema]) => [type, { schema }])),
              ...(spec.body.anyContentType ? { "*/*": json } : {}),
            },
          },
        }
      : {}),
    responses: {
      [spec.answer.status ?? "200"]: {
        description: spec.answer.description,
        headers: z.object({ "X-Request-Id": requestIdHeader, ...spec.answer.headers }),
        ...(spec.answer.status === "204"
          ? {}
          : { content: { [spec.answer.mediaType ?? "application/json"]: { schema: spec.answer.schema, ...(spec.answer.examples ? { examples: spec.answer.examples } : {}) } } }),
      },
      ...spec.otherAnswers,
      ...errorResponses([...refusals, ...spec.errors, ...(spec.servedWhileStopping ? [] : (["SHUTTING_DOWN"] as const))], spec.envelope),
    },
    ...spec.extensions,
  };
}
