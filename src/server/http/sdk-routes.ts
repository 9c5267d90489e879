// The analytics SDK protocols' routes: the Segment HTTP Tracking API (RudderStack speaks it
// too) and PostHog's capture API, ingest routes like /ingest on the same write path
// (src/server/sdk/sdk-request.ts). They take any Content-Type (SDKs label JSON as they
// please), gzip or deflate bodies up to SDK_MAX_REQUEST_BYTES inflated, and the write key as
// the Basic auth user name, Bearer, or in the body.
import { segmentCallTypes } from "../../lib/sdk-schema";
import { tokenFromAuthorization, type Principal } from "../auth/principal";
import { notePrincipal } from "../observability/access-log";
import { ingestSdkRequest, type SdkShape } from "../sdk/sdk-request";
import { readJsonBody } from "./body";
import { singleHeader } from "./headers";
import { admitted, ANY_CONTENT_TYPE } from "./ingest-route";
import { sendJson } from "./rest";
import type { ApiRoute, RouteCall } from "./routes";

// POST an SDK's request – capture, dedup and count its messages: 200 once all are committed
function postSdk(call: RouteCall, shape: SdkShape): Promise<void> {
  const { req, res, ctx } = call;
  return admitted(call, shape.call === "batch" || shape.call === "v1" ? "batch" : "event", ANY_CONTENT_TYPE, async (scope) => {
    const body = await readJsonBody(req, ctx.config.SDK_MAX_REQUEST_BYTES);
    const headerKey = tokenFromAuthorization(singleHeader(req, "authorization", "authorization"));
    const onPrincipal = (principal: Principal) => notePrincipal(req, principal);
    const answer = await ingestSdkRequest(
      ctx,
      { shape, body, principal: scope.principal, headerKey, admission: scope.admission, onPrincipal },
      scope.signal,
    );
    sendJson(res, 200, answer);
  });
}

const post = (path: string, shape: SdkShape): ApiRoute => ({ path, methods: ["POST"], handle: (c) => postSdk(c, shape) });

export const sdkRoutes: readonly ApiRoute[] = [
  // Segment HTTP Tracking API: /v1/batch (and /v1/import, its alias) and one route per call type
  post("/v1/batch", { protocol: "segment", call: "batch" }),
  post("/v1/import", { protocol: "segment", call: "batch" }),
  ...segmentCallTypes.map((type) => post(`/v1/${type}`, { protocol: "segment", call: type })),
  // PostHog capture: /batch, and /capture, /e and /i/v0/e for one event (or a batch)
  post("/batch", { protocol: "posthog", call: "batch" }),
  post("/capture", { protocol: "posthog", call: "capture" }),
  post("/e", { protocol: "posthog", call: "capture" }),
  post("/i/v0/e", { protocol: "posthog", call: "capture" }),
  // PostHog Capture V1 (posthog-node with POSTHOG_CAPTURE_MODE=v1): a batch, answered per uuid
  post("/i/v1/analytics/events", { protocol: "posthog", call: "v1" }),
];
