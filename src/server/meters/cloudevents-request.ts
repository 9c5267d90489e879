// POST /api/v1/events (OpenMeter's ingest): one CloudEvent (`application/cloudevents+json`) or a
// batch (`application/cloudevents-batch+json`, what @openmeter/sdk always sends; or JSON), each
// event one item of the write path every other route takes (ingest-batch.ts), read by its
// format (read-event.ts: `type` the metric, `subject`, `data`, identity `id` within `source`).
// A write key decides the events' source, as on every ingest route; an operator's events (or an
// open server's without a key) go to the source their own CloudEvents `source` names. The
// answer is 200 with a result per event once every one is committed; an event that cannot be
// counted is stored rejected and named in the answer (OpenMeter refuses the whole batch with
// 400 instead: one bad event never makes a client drop or retry the others here). A single
// event that cannot be counted is the request's error (422).
import { CLOUDEVENT_LIMITS } from "../../lib/meters-schema";
import type { SdkAnswer } from "../../lib/sdk-schema";
import { sourceSchema } from "../../lib/ingest-schema";
import { unstorableJson } from "../../lib/storable-json";
import { requireWriter, sourceForSdk, type Principal } from "../auth/principal";
import { takeRateLimit } from "../auth/rate-limit";
import type { ServerContext } from "../context";
import { AppError } from "../errors";
import type { Admission } from "../http/admission";
import { ingestItems, sliced, type CheckedItem } from "../ingest/ingest-batch";
import { tallyResults } from "../sdk/sdk-request";
import { fieldAt } from "../validation-issue";

export interface CloudEventsRequest {
  body: unknown;
  /** True for `application/cloudevents+json`: the body is one event. */
  single: boolean;
  principal: Principal;
  /** A key from the Authorization header (it names the source on an open server, as on the SDK routes). */
  headerKey: string | undefined;
  admission: Admission;
}

export async function ingestCloudEvents(ctx: ServerContext, request: CloudEventsRequest, signal?: AbortSignal): Promise<SdkAnswer> {
  const events = eventsOf(request);
  request.admission.shrinkTo(Math.max(1, events.length));
  requireWriter(request.principal);
  // A write key names the source; so does any key on an open server (as on the SDK routes).
  const keySource =
    request.principal.kind === "write" || (request.principal.kind === "open" && request.headerKey !== undefined)
      ? (await sourceForSdk(ctx, request.principal, request.headerKey, "authorization")).source
      : null;
  const name = (index: number, field?: string) => [request.single ? null : `[${index}]`, field].filter(Boolean).join(".") || "body";
  const checked = await sliced(events, (event, index): CheckedItem => {
    const refuse = (field: string, reason: string): CheckedItem => ({ index, status: "rejected", code: "INVALID_EVENT", reason: `${field} ${reason}`, field });
    if (typeof event !== "object" || event === null || Array.isArray(event)) return refuse(name(index), "must be a JSON object (a CloudEvent)");
    const problem = unstorableJson(event);
    if (problem) return refuse(name(index, fieldAt(problem.path, null, "")), problem.message);
    const payload = event as Record<string, unknown>;
    let source = keySource;
    if (source === null) {
      const own = sourceSchema.safeParse(payload.source);
      if (!own.success) return refuse(name(index, "source"), `names this event's source here: ${own.error.issues[0]?.message ?? "invalid"}`);
      source = own.data;
    }
    return { index, event: { source, payload, format: "cloudevents" } };
  });
  takeRateLimit(ctx, request.principal, checked.length);
  const results = await ingestItems(ctx, checked, signal, (index, field) => name(index, field));
  const [only] = results;
  if (request.single && only && (only.status === "rejected" || only.status === "failed")) {
    throw new AppError(only.code === "EVENT_FAILED" ? "EVENT_FAILED" : "INVALID_EVENT", only.reason ?? "rejected", { field: only.field });
  }
  return tallyResults(results);
}

function eventsOf(request: CloudEventsRequest): unknown[] {
  if (request.single) {
    if (Array.isArray(request.body)) throw new AppError("INVALID_ENVELOPE", "application/cloudevents+json takes one event; send a batch as application/cloudevents-batch+json", { field: "body" });
    return [request.body];
  }
  const events = Array.isArray(request.body) ? request.body : [request.body];
  if (events.length > CLOUDEVENT_LIMITS.batchMaxEvents) {
    throw new AppError("PAYLOAD_TOO_LARGE", `the batch holds ${events.length} events; the limit is ${CLOUDEVENT_LIMITS.batchMaxEvents}`, { field: "body" });
  }
  return events;
}
