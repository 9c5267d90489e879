// The store: every statement of the write path, in one place (docs/write-path.md, "Statements
// per group"). The one-statement fast path, the two-stage capture and processing, and the
// recovery worker's claim and retry. Callers decide what to run; the SQL lives here.
export { captureAndProcess, type FastResult, type GroupRow } from "./capture-and-process";
export { insertRawEvents, type CaptureRow } from "./capture";
export { finishPending, outcomeOfRaw, processGroup, type CapturedEvent, type DecidedOutcome } from "./process";
export { claimDueRawEvents, postponeRawEvent, type ClaimedRawEvent } from "./worker";
