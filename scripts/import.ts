// npm run import -- <file.ndjson | -> [--url URL] [--key KEY] [--batch N] [--parallel N]
//                   [--checkpoint FILE] [--retry-for SECONDS]
//
// Replays a file of past events through the batch API of a running server: one envelope per
// line ({"source", "payload", "idempotencyKey"?}, the shape of POST /ingest/batch's events),
// sent as NDJSON in chunks of up to --batch lines (default MAX_BATCH_EVENTS) and
// MAX_REQUEST_BYTES, --parallel requests at a time (default 2). A progress bar on stderr shows
// events/s and the time left. At the end, stdout has the tally (counted / deduplicated /
// rejected) and every rejected line with its number and reason; exit 0 if none was rejected,
// 1 if some were, 2 if the import stopped before the end (it can be resumed).
//
// Resumable, two ways. Every line has an identity of its own (its idempotencyKey, else its
// payload's eventId, else its content: README "Dedup key rules"), so a line sent twice is
// counted once: a re-run of the same file counts nothing twice, whatever happened before. And
// a checkpoint (import-checkpoint.ts) records how far the server has acknowledged the file, so
// a re-run after an interruption skips that part instead of sending it all again.
// Lines that are not JSON (read as the server reads them) are reported and never sent; empty
// lines are skipped.
import { createReadStream, statSync } from "node:fs";
import { resolve } from "node:path";
import { SingleBar } from "cli-progress";
import { AppError } from "../src/server/errors";
import { parseJsonBody } from "../src/server/http/json-body";
import { ImportStopped, sendLines, type LineResult } from "./support/batch-sender";
import { defaultCheckpointPath, loadCheckpoint, removeCheckpoint, saveCheckpoint, targetOf, type Rejection, type Tally } from "./support/import-checkpoint";
import { ndjsonLines, type SourceLine } from "./support/ndjson-lines";
import { fail, loadCliConfig, parseCli, usageError } from "./support/cli";
import { localServerUrl, noServerMessage } from "./support/open-target";

const cli = {
  name: "npm run import",
  usage: `usage: npm run import -- <file.ndjson | -> [--url <server URL>] [--key <write key or ADMIN_TOKEN>]
       [--batch <lines per request>] [--parallel <requests at a time>] [--checkpoint <file>] [--retry-for <seconds>]
Sends to the app at HOST:PORT unless --url says otherwise, with --key, else ADMIN_TOKEN.`,
  maxArguments: 1,
  options: {
    url: { type: "string" },
    key: { type: "string" },
    batch: { type: "string" },
    parallel: { type: "string" },
    checkpoint: { type: "string" },
    "retry-for": { type: "string" },
  },
} as const;
const { positionals, values } = parseCli(cli);
const [file] = positionals;
if (!file) usageError(cli, "say which file to import (- for standard input)");
const config = loadCliConfig();
const positive = (name: string, value: string | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER) => {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || n > max) usageError(cli, `--${name} must be a whole number from 1 to ${max}`);
  return n;
};
const batch = positive("batch", values.batch, config.MAX_BATCH_EVENTS, config.MAX_BATCH_EVENTS);
const parallel = positive("parallel", values.parallel, 2, 16);
const retryForMs = positive("retry-for", values["retry-for"], 600) * 1000;
const url = (values.url ?? localServerUrl(config)).replace(/\/+$/, "");
// The operator's token may write any source; a write key writes its own.
const key = values.key ?? config.ADMIN_TOKEN;
const fromStdin = file === "-";
let size = 0;
if (!fromStdin) {
  try {
    size = statSync(file).size;
  } catch (err) {
    fail(`import: cannot read ${file}: ${(err as Error).message}`, 2);
  }
}


// Where an earlier run of this file stopped.
const checkpointPath = fromStdin ? null : resolve(values.checkpoint ?? defaultCheckpointPath(file));
const target = targetOf(url, key);
const resume = checkpointPath ? await loadCheckpoint(checkpointPath, file, target) : null;
const earlier = resume?.checkpoint ?? null;
if (resume && "ignored" in resume && resume.ignored) process.stderr.write(`Starting from the first line: ${resume.ignored}.\n`);
if (earlier) process.stderr.write(`Resuming after line ${earlier.lines.toLocaleString("en-US")}, which the server acknowledged in an earlier run (checkpoint ${checkpointPath}).\n`);
const hash = resume?.hash;
const tally: Tally = earlier ? { ...earlier.tally } : { counted: 0, deduplicated: 0, blank: 0, rejected: 0 };
const rejections: Rejection[] = resume && "rejections" in resume ? resume.rejections : [];
let offset = earlier?.offset ?? 0;
let linesDone = earlier?.lines ?? 0;

// Progress: bytes of the file acknowledged (so the ETA covers the whole file), or lines for stdin.
const started = Date.now();
let eventsThisRun = 0;
const bar = new SingleBar({
  format: fromStdin ? "{lines} lines | {rate} events/s | {status}" : "{bar} {percentage}% | {lines} lines | {rate} events/s | ETA {eta_formatted} | {status}",
  stream: process.stderr,
  noTTYOutput: true,
  notTTYSchedule: 2000,
  hideCursor: true,
  etaBuffer: 50,
});
const progress = (status = "") => {
  const rate = Math.round(eventsThisRun / Math.max(0.001, (Date.now() - started) / 1000));
  bar.update(fromStdin ? linesDone : offset, { lines: linesDone.toLocaleString("en-US"), rate: rate.toLocaleString("en-US"), status });
};
bar.start(fromStdin ? 0 : size, fromStdin ? 0 : offset, { lines: linesDone.toLocaleString("en-US"), rate: "0", status: "" });

/** A run of consecutive lines: those to send, and what was decided here about the others. */
interface Chunk {
  lines: SourceLine[];
  toSend: SourceLine[];
  bytes: number;
  blank: number;
  /** Lines that are not JSON, never sent. */
  unreadable: Rejection[];
}
const emptyChunk = (): Chunk => ({ lines: [], toSend: [], bytes: 0, blank: 0, unreadable: [] });
/** A chunk's answer, or why it has none; never a rejected promise, so none goes unhandled while an earlier one is awaited. */
type Answer = { chunk: Chunk; results: LineResult[] } | { chunk: Chunk; error: unknown };

const stop = new AbortController();
const sendOptions = {
  endpoint: `${url}/ingest/batch`,
  key,
  retryForMs,
  signal: stop.signal,
  contact: { answered: false, message: (why: string) => noServerMessage(url, why, values.url !== undefined) },
  onWait: (why: string, ms: number) => progress(`waiting ${(ms / 1000).toFixed(1)} s: ${why}`),
};

function dispatch(chunk: Chunk): Promise<Answer> {
  if (chunk.toSend.length === 0) return Promise.resolve({ chunk, results: [] });
  return sendLines(
    chunk.toSend.map((l) => l.text),
    sendOptions,
  ).then(
    (results) => ({ chunk, results }),
    (error: unknown) => ({ chunk, error }),
  );
}

/** Applies a chunk's answer, in file order, and records the new acknowledged prefix. */
function acknowledge(answer: Answer): void {
  if ("error" in answer) throw answer.error;
  const { chunk, results } = answer;
  const rejected = [...chunk.unreadable];
  chunk.toSend.forEach((line, i) => {
    const r = results[i]!;
    if (r.status === "rejected") rejected.push({ line: line.number, code: r.code, reason: r.reason });
    else tally[r.status]++;
    eventsThisRun++;
  });
  rejected.sort((a, b) => a.line - b.line); // every line of a chunk comes after the lines of those before it
  rejections.push(...rejected);
  tally.rejected += rejected.length;
  tally.blank += chunk.blank;
  for (const line of chunk.lines) hash?.update(line.bytes);
  offset += chunk.bytes;
  linesDone = chunk.lines.at(-1)?.number ?? linesDone;
  if (checkpointPath && hash) {
    const checkpoint = { version: 1 as const, file: resolve(file!), target, offset, lines: linesDone, prefixSha256: hash.copy().digest("hex"), tally };
    saveCheckpoint(checkpointPath, checkpoint, rejected);
  }
  progress();
}

let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(2);
    interrupted = true;
    stop.abort();
  });
}

let stoppedBy: string | null = null;
const inFlight: Promise<Answer>[] = [];
try {
  const input = fromStdin ? process.stdin : createReadStream(file, { start: offset });
  // An interrupted import stops reading even while it waits for input that does not come.
  stop.signal.addEventListener("abort", () => input.destroy(), { once: true });
  let chunk = emptyChunk();
  const flush = async () => {
    inFlight.push(dispatch(chunk));
    chunk = emptyChunk();
    // Answers are applied in file order, so the checkpoint only ever covers a prefix.
    if (inFlight.length >= parallel) acknowledge(await inFlight.shift()!);
  };
  for await (const line of ndjsonLines(input as AsyncIterable<Buffer>, linesDone + 1)) {
    if (interrupted) break;
    if (chunk.toSend.length > 0 && (chunk.toSend.length >= batch || chunk.bytes + line.bytes.length > config.MAX_REQUEST_BYTES)) await flush();
    chunk.lines.push(line);
    chunk.bytes += line.bytes.length;
    if (line.text.trim() === "") chunk.blank++;
    else {
      try {
        parseJsonBody(line.text, `Line ${line.number}`);
        chunk.toSend.push(line);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        chunk.unreadable.push({ line: line.number, code: err.code, reason: err.message });
      }
    }
  }
  if (chunk.lines.length > 0 && !interrupted) await flush();
  while (inFlight.length > 0) acknowledge(await inFlight.shift()!);
} catch (err) {
  stop.abort();
  stoppedBy = err instanceof ImportStopped ? err.message : interrupted ? "interrupted" : (err as Error).message;
}
bar.stop();

const seconds = (Date.now() - started) / 1000;
const n = (x: number) => x.toLocaleString("en-US");
const finished = stoppedBy === null && !interrupted;
const out: string[] = [];
out.push(
  `${fromStdin ? "stdin" : file} → ${url}/ingest/batch: ${finished ? "done" : `stopped after line ${n(linesDone)} (${stoppedBy ?? "interrupted"})`}; ` +
    `${n(eventsThisRun)} event${eventsThisRun === 1 ? "" : "s"} sent and answered in ${seconds.toFixed(1)} s (${n(Math.round(eventsThisRun / Math.max(seconds, 0.001)))} events/s)` +
    (earlier ? `, after ${n(earlier.lines)} lines of an earlier run` : ""),
);
// The line numbers inline (the first 20), then each rejected line with its reason.
const lineList = rejections.slice(0, 20).map((r) => r.line).join(", ") + (rejections.length > 20 ? ", …" : "");
out.push(`  counted       ${n(tally.counted)}`, `  deduplicated  ${n(tally.deduplicated)}`);
out.push(`  rejected      ${n(rejections.length)}${rejections.length ? ` (line${rejections.length === 1 ? "" : "s"} ${lineList})` : ""}`);
if (tally.blank) out.push(`  empty lines   ${n(tally.blank)} (skipped)`);
for (const r of rejections) out.push(`line ${r.line}: ${r.code} ${r.reason}`);
if (!finished) out.push(fromStdin ? "Send the same input again: lines already counted come back deduplicated." : "Run the same command again to resume.");
process.stdout.write(`${out.join("\n")}\n`);
if (finished && checkpointPath) removeCheckpoint(checkpointPath);
process.exit(!finished ? 2 : rejections.length > 0 ? 1 : 0);
