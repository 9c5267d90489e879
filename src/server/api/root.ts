// The app router: every procedure the UI, the REST adapter and tests can call.
import { aggregatesPageProcedure, aggregatesProcedure, aggregatesSummaryProcedure } from "./routers/aggregates";
import { consoleRouter } from "./routers/console";
import { eventsRouter } from "./routers/events";
import { ingestBatchProcedure, ingestProcedure } from "./routers/ingest";
import { keysRouter } from "./routers/keys";
import { metersRouter } from "./routers/meters";
import { retentionRouter } from "./routers/retention";
import { rollupsRouter } from "./routers/rollups";
import { createCallerFactory, router } from "./trpc";

export const appRouter = router({
  ingest: ingestProcedure,
  ingestBatch: ingestBatchProcedure,
  aggregates: aggregatesProcedure,
  aggregatesPage: aggregatesPageProcedure,
  aggregatesSummary: aggregatesSummaryProcedure,
  events: eventsRouter,
  keys: keysRouter,
  meters: metersRouter,
  rollups: rollupsRouter,
  retention: retentionRouter,
  console: consoleRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
