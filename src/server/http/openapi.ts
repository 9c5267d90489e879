// GET /openapi.json – the OpenAPI 3.1 document of the HTTP API (src/server/openapi/), built
// once per process from its configuration. Public: it describes the API and grants nothing.
import type { ServerResponse } from "node:http";
import type { ServerContext } from "../context";
import { openApiDocument } from "../openapi/document";

const built = new WeakMap<ServerContext, string>();

// GET /openapi.json – the API described for tools and people
export function getOpenApi(res: ServerResponse, ctx: ServerContext): void {
  let text = built.get(ctx);
  if (text === undefined) {
    text = JSON.stringify(openApiDocument(ctx.config));
    built.set(ctx, text);
  }
  res.writeHead(200, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-cache",
  });
  res.end(text);
}
