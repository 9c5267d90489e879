// Sending lines of an NDJSON file to POST /ingest/batch (Content-Type: application/x-ndjson),
// one request per chunk, until the server has answered every line. Re-sending is always safe
// (the service deduplicates), so the sender retries whatever the server calls passing: 429 and
// 503 after their Retry-After, a retryable 500, a connection refused or cut, with backoff,
// until `retryForMs` has passed without an answer (a server that never answered at all is not
// waited for: `contact`). A chunk the server finds too large (413) is
// split in two; a single line refused 413 is that line's rejection. Anything else (401, 403,
// 415, a 400 for the request) stops the import: retrying would not help.
import { setTimeout as sleep } from "node:timers/promises";
import { batchOutputSchema } from "../../src/lib/ingest-schema";
import type { ErrorBody } from "../../src/server/errors";

export type LineResult = { status: "counted" | "deduplicated" } | { status: "rejected"; code: string; reason: string };

/** The server refused the import in a way retrying will not change; the message says how. */
export class ImportStopped extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImportStopped";
  }
}

export interface SendOptions {
  /** The batch route, e.g. http://127.0.0.1:3000/ingest/batch. */
  endpoint: string;
  key?: string;
  /** How long to keep retrying one chunk without an answer before giving up. */
  retryForMs: number;
  /** Told what the sender waits for, and for how long (the progress line shows it). */
  onWait?(why: string, ms: number): void;
  /** Aborts a wait or a request in flight (an interrupted import). */
  signal?: AbortSignal;
  /**
   * Shared by every chunk of one import: until the server has answered once, no answer means
   * a wrong address rather than an outage to wait out, and stops the import with `message`.
   */
  contact?: { answered: boolean; message(why: string): string };
}

/** Per-request timeout: a full batch takes well under a second; an answer this late is treated as lost. */
const REQUEST_TIMEOUT_MS = 120_000;

/** Sends these lines (JSON texts, as written in the file) and returns one result per line, in order. */
export async function sendLines(lines: string[], opts: SendOptions): Promise<LineResult[]> {
  const deadline = Date.now() + opts.retryForMs;
  const headers: Record<string, string> = { "content-type": "application/x-ndjson", ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}) };
  for (let attempt = 0; ; attempt++) {
    let wait: { why: string; ms: number };
    try {
      const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]) : AbortSignal.timeout(REQUEST_TIMEOUT_MS);
      const res = await fetch(opts.endpoint, { method: "POST", headers, body: `${lines.join("\n")}\n`, signal });
      if (opts.contact) opts.contact.answered = true;
      if (res.ok) return resultsOf(await res.json(), lines.length);
      const error = ((await res.json().catch(() => null)) as ErrorBody | null)?.error;
      const said = `${res.status}${error ? ` ${error.code}: ${error.message}` : ""}`;
      if (res.status === 413) {
        if (lines.length === 1) return [{ status: "rejected", code: error?.code ?? "PAYLOAD_TOO_LARGE", reason: error?.message ?? "too large for the server" }];
        const half = Math.ceil(lines.length / 2);
        return [...(await sendLines(lines.slice(0, half), opts)), ...(await sendLines(lines.slice(half), opts))];
      }
      // No credential, or one the server does not know: say which to give.
      if (res.status === 401) throw new ImportStopped(`the server answered ${said}; pass --key <a write key>, or set ADMIN_TOKEN to the server's operator token`);
      if (res.status !== 429 && res.status !== 503 && !(res.status >= 500 && error?.retryable)) throw new ImportStopped(`the server answered ${said}`);
      const retryAfter = Number(res.headers.get("retry-after"));
      wait = { why: `server answered ${res.status}${error ? ` ${error.code}` : ""}`, ms: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : backoffMs(attempt) };
    } catch (err) {
      if (err instanceof ImportStopped || opts.signal?.aborted) throw err;
      if (opts.contact && !opts.contact.answered) throw new ImportStopped(opts.contact.message(causeOf(err)));
      wait = { why: `no answer (${causeOf(err)})`, ms: backoffMs(attempt) };
    }
    if (Date.now() + wait.ms > deadline) throw new ImportStopped(`gave up after ${Math.round(opts.retryForMs / 1000)} s of ${wait.why}`);
    opts.onWait?.(wait.why, wait.ms);
    await sleep(wait.ms, undefined, { signal: opts.signal });
  }
}

function resultsOf(body: unknown, expected: number): LineResult[] {
  const out = batchOutputSchema.parse(body);
  if (out.results.length !== expected) throw new ImportStopped(`the server answered ${out.results.length} results for ${expected} lines`);
  return [...out.results]
    .sort((a, b) => a.index - b.index)
    // `failed` (the database refused that one event for good, stored failed) is not counted either: reported with the rejected.
    .map((r) => (r.status === "rejected" || r.status === "failed" ? { status: "rejected", code: r.code ?? r.status.toUpperCase(), reason: r.reason ?? "" } : { status: r.status }));
}

/** Exponential backoff with full jitter: 0.25 s doubling up to 10 s. */
const backoffMs = (attempt: number) => Math.round(Math.random() * Math.min(10_000, 250 * 2 ** attempt)) + 50;

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
