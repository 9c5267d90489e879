// OpenMeter's API (v1) on this service: CloudEvents in, meters managed, meters queried
// (docs/openmeter-api.md; README "Meters"). An OpenMeter client switches by changing its base
// URL. Errors on these routes are application/problem+json, as OpenMeter sends them (rest.ts,
// sendError). Meters are managed by the operator; reading them and querying them takes the
// operator or a read key for every source (a meter adds up events of every source).
import {
  CLOUDEVENTS_CONTENT_TYPES,
  meterCreateInputSchema,
  meterIdOrSlugSchema,
  meterQueryParamsFromSearchParams,
  meterQueryParamsSchemaFor,
  meterQueryRequestSchemaFor,
  meterUpdateInputSchemaFor,
} from "../../lib/meters-schema";
import { requireMeterReader, requireOperator, tokenFromAuthorization } from "../auth/principal";
import { startBackfill } from "../meters/backfill";
import { ingestCloudEvents } from "../meters/cloudevents-request";
import { createMeter, deleteMeter, getMeter, listMeters, meterOf, meterViewOf, meterViewsOf, updateMeter } from "../meters/meters";
import { queryMeter } from "../meters/query";
import { parsedOr } from "../api/trpc";
import { requestPrincipal } from "./auth-http";
import { readJsonBody } from "./body";
import { singleHeader } from "./headers";
import { admitted, type ContentTypeRule } from "./ingest-route";
import { requireContentType, requireJsonContentType, sendJson } from "./rest";
import type { ApiRoute, RouteCall } from "./routes";

/** Meter definitions and query bodies are small. */
const METER_BODY_LIMIT = 64 * 1024;

const CLOUDEVENTS_BODY: ContentTypeRule = (req) => requireContentType(req, Object.values(CLOUDEVENTS_CONTENT_TYPES));

async function meterFor(call: RouteCall) {
  return getMeter(call.ctx.db, parsedOr("INVALID_QUERY", meterIdOrSlugSchema, call.params.meterIdOrSlug, "meterIdOrSlug"));
}

async function postEvents(call: RouteCall): Promise<void> {
  await admitted(call, "batch", CLOUDEVENTS_BODY, async (scope) => {
    const { req, res, ctx } = call;
    const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    const body = await readJsonBody(req, ctx.config.SDK_MAX_REQUEST_BYTES);
    const single = type === CLOUDEVENTS_CONTENT_TYPES.single || (type === CLOUDEVENTS_CONTENT_TYPES.json && !Array.isArray(body));
    const headerKey = tokenFromAuthorization(singleHeader(req, "authorization", "authorization"));
    const answer = await ingestCloudEvents(ctx, { body, single, principal: scope.principal, headerKey, admission: scope.admission }, scope.signal);
    sendJson(res, 200, answer);
  });
}

async function meters(call: RouteCall): Promise<void> {
  const { req, res, ctx, method, url } = call;
  const principal = await requestPrincipal(req, ctx);
  if (method === "GET") {
    requireMeterReader(principal);
    const rows = await listMeters(ctx.db, { includeDeleted: url.searchParams.get("includeDeleted") === "true" });
    return sendJson(res, 200, await meterViewsOf(ctx.db, rows));
  }
  requireOperator(principal, "manage meters");
  requireJsonContentType(req);
  const input = parsedOr("INVALID_METER", meterCreateInputSchema, await readJsonBody(req, METER_BODY_LIMIT));
  const meter = await createMeter(ctx.db, input);
  startBackfill(call.ctx);
  // OpenMeter answers 200 (its spec says 201; its client takes either).
  sendJson(res, 200, meterOf(meter));
}

async function meter(call: RouteCall): Promise<void> {
  const { req, res, ctx, method } = call;
  const principal = await requestPrincipal(req, ctx);
  if (method === "GET") {
    requireMeterReader(principal);
    return sendJson(res, 200, await meterViewOf(ctx.db, await meterFor(call)));
  }
  requireOperator(principal, "manage meters");
  const current = await meterFor(call);
  if (method === "DELETE") {
    await deleteMeter(ctx.db, current.id);
    res.writeHead(204).end();
    return;
  }
  requireJsonContentType(req);
  const input = parsedOr("INVALID_METER", meterUpdateInputSchemaFor(current), await readJsonBody(req, METER_BODY_LIMIT));
  const updated = await updateMeter(ctx.db, current.id, input);
  startBackfill(call.ctx);
  sendJson(res, 200, meterOf(updated));
}

async function query(call: RouteCall): Promise<void> {
  const { req, res, ctx, method, url } = call;
  requireMeterReader(await requestPrincipal(req, ctx));
  const current = await meterFor(call);
  const groupBy = current.groupBy as Record<string, string>;
  const q =
    method === "GET"
      ? parsedOr("INVALID_QUERY", meterQueryParamsSchemaFor({ groupBy }), meterQueryParamsFromSearchParams(url.searchParams))
      : (requireJsonContentType(req), parsedOr("INVALID_QUERY", meterQueryRequestSchemaFor({ groupBy }), await readJsonBody(req, METER_BODY_LIMIT)));
  sendJson(res, 200, await queryMeter(ctx.db, current, q));
}

export const meterRoutes: readonly ApiRoute[] = [
  { path: "/api/v1/events", methods: ["POST"], handle: postEvents },
  { path: "/api/v1/meters", methods: ["GET", "POST"], handle: meters },
  { path: "/api/v1/meters/{meterIdOrSlug}", methods: ["GET", "PUT", "DELETE"], handle: meter },
  { path: "/api/v1/meters/{meterIdOrSlug}/query", methods: ["GET", "POST"], handle: query },
];
