// What another TypeScript project imports from "ingest-service/client", types only: `AppRouter` for
// `createTRPCClient<AppRouter>(…)`, and the bodies the REST API takes and answers.
// `npm run build:client` bundles this file into one declaration file that imports nothing
// but @trpc/server (README, "Typed client for TypeScript").
//
// Why the exported types are the types of values: declaration emit writes a value's
// inferred type out in full, but a named type by its name, importing the module that
// declares it. By name, the router's type would reach the server's context (the database,
// Prisma's generated client, the config) and the schema types would reach zod, and a client
// project would need all of those to compile. Written out, the router keeps its procedures
// and error shape and leaves out its context (a client never sees it), and the schema types
// are plain object types. The rest (the error codes) the bundler copies in. Nothing here
// runs: the package's module is empty.
/* eslint-disable @typescript-eslint/no-unused-vars -- each value below exists for its type alone (see above) */
import type { AnyTRPCRootTypes, TRPCBuiltRouter, TRPCMutationProcedure, TRPCRouterRecord } from "@trpc/server";
import type { z } from "zod";
import type * as aggregates from "../lib/aggregates-schema";
import type * as api from "../lib/ingest-schema";
import type { AppRouter as ServerRouter } from "../server/api/root";

export type { AppErrorCode, ErrorBody } from "../server/errors";

/** Stands for a value of type `T`, so that declaration emit writes `T` out. Never called. */
declare function valueOf<T>(): T;

// What a client sends is typed as what is counted. The server's envelope schemas take any
// JSON object as the payload (an event that cannot be counted is still kept, `rejected`, with
// its reason) and a batch's events as `unknown[]` (each is checked on its own); a client's
// compiler holds them to the payload schema (eventPayloadSchema: `metric` a string, `value` a
// number, other members kept), so `value: "three"` or a missing `metric` fails to compile.
// Only the input types narrow: the server, and a client that sends JSON of its own, are unchanged.
/** A payload as the payload schema takes it. */
type SentPayload = z.input<typeof api.eventPayloadSchema>;
/** `T` with member `K` typed `V` (its other members, and whether each is optional, unchanged). */
type With<T, K extends keyof T, V> = { [P in keyof T]: P extends K ? V : T[P] };
type SentEvent = With<z.input<typeof api.ingestInputSchema>, "payload", SentPayload>;
type SentBatchEvent = With<z.input<typeof api.batchEventSchema>, "payload", SentPayload>;
type SentBatch = With<z.input<typeof api.batchInputSchema>, "events", SentBatchEvent[]>;

/** A procedure's input narrowed to `TInput` (its output and meta unchanged). */
type Narrowed<TProcedure, TInput> = TProcedure extends { _def: { $types: { output: infer O } }; meta: infer M }
  ? TRPCMutationProcedure<{ input: TInput; output: O; meta: M }>
  : never;
type Sent = { ingest: SentEvent; ingestBatch: SentBatch };

/** The router's type as a client sees it: each procedure (one level of sub-routers written out) and the error shape, no context. */
declare function clientRouterOf<TRoot extends AnyTRPCRootTypes, TRecord extends TRPCRouterRecord>(): TRPCBuiltRouter<
  { ctx: object; meta: TRoot["meta"]; errorShape: TRoot["errorShape"]; transformer: TRoot["transformer"] },
  { [K in keyof TRecord]: K extends keyof Sent ? Narrowed<TRecord[K], Sent[K]> : TRecord[K] }
>;

const appRouter = clientRouterOf<ServerRouter["_def"]["_config"]["$types"], ServerRouter["_def"]["record"]>();
/** The service's tRPC router, for `createTRPCClient<AppRouter>` (tRPC v11, no transformer, at `/api/trpc`). */
export type AppRouter = typeof appRouter;

const failurePoint = valueOf<api.FailurePoint>();
/** Where a simulated failure is injected (`simulate`, or `X-Simulate-Failure`; simulation mode only). */
export type FailurePoint = typeof failurePoint;

const ingestInput = valueOf<SentEvent>();
/** `POST /ingest` body (the `Idempotency-Key` header is `idempotencyKey`); tRPC `ingest` input. Its `payload` is an `EventPayload`. */
export type IngestInput = typeof ingestInput;

const ingestOutput = valueOf<api.IngestOutput>();
/** `POST /ingest` answer (200); tRPC `ingest` output. */
export type IngestOutput = typeof ingestOutput;

const eventPayload = valueOf<SentPayload>();
/** What a payload must say to be counted (`metric`, `value`); other members are kept as attributes. */
export type EventPayload = typeof eventPayload;

const batchEvent = valueOf<SentBatchEvent>();
/** One event of `POST /ingest/batch` (checked one by one: a bad one is rejected alone). */
export type BatchEvent = typeof batchEvent;

const batchInput = valueOf<SentBatch>();
/** `POST /ingest/batch` body; tRPC `ingestBatch` input. Each event is a `BatchEvent`. */
export type BatchInput = typeof batchInput;

const batchResult = valueOf<api.BatchResult>();
/** The result of one event of a batch, by its index. */
export type BatchResult = typeof batchResult;

const batchOutput = valueOf<api.BatchOutput>();
/** `POST /ingest/batch` answer (200); tRPC `ingestBatch` output. */
export type BatchOutput = typeof batchOutput;

const aggregatesInput = valueOf<aggregates.AggregatesInput>();
/** `GET /aggregates` query parameters; tRPC `aggregates` and `aggregatesPage` input. */
export type AggregatesInput = typeof aggregatesInput;

const aggregate = valueOf<aggregates.Aggregate>();
/** One row of `GET /aggregates` (an array of them); tRPC `aggregates` output. */
export type Aggregate = typeof aggregate;

const aggregatePoint = valueOf<aggregates.AggregatePoint>();
/** One bucket of a row's `series` (with `bucket`). */
export type AggregatePoint = typeof aggregatePoint;

const aggregatesPage = valueOf<aggregates.AggregatesPage>();
/** tRPC `aggregatesPage` output: a page of rows and the next page's cursor. */
export type AggregatesPage = typeof aggregatesPage;

const aggregatesFilter = valueOf<aggregates.AggregatesFilter>();
/** The filters and window of `AggregatesInput`, which select the groups a summary counts. */
export type AggregatesFilter = typeof aggregatesFilter;

const aggregatesSummaryInput = valueOf<aggregates.AggregatesSummaryInput>();
/** tRPC `aggregatesSummary` input: an `AggregatesFilter`, and `bucket` for the totals per hour or day of the window. */
export type AggregatesSummaryInput = typeof aggregatesSummaryInput;

const aggregatesSummary = valueOf<aggregates.AggregatesSummary>();
/** tRPC `aggregatesSummary` output: every group the filters and window select, counted (with `bucket`, over time). */
export type AggregatesSummary = typeof aggregatesSummary;
