// GET /openapi.json – the OpenAPI 3.1 document of the HTTP API, generated from the zod
// schemas the routes use. (Being written: see the route table in routes.ts.)
import type { ServerResponse } from "node:http";
import type { ServerContext } from "../context";
import { sendJson } from "./rest";

export function openApiDocument(_ctx: ServerContext): Record<string, unknown> {
  return { openapi: "3.1.0", info: { title: "Event ingestion API", version: "0.1.0" }, paths: {} };
}

// GET /openapi.json – the API described for tools and people
export function getOpenApi(res: ServerResponse, ctx: ServerContext): void {
  sendJson(res, 200, openApiDocument(ctx), { "cache-control": "no-cache" });
}
