// What the console asks the server, as a journey can check it: every tRPC HTTP request of a page
// read back into its calls (procedure and input; a batched GET names several procedures and
// keys their inputs by position), and each answer's size and results.
import type { Page, Request } from "playwright-core";

export interface TrpcCall {
  procedure: string;
  input: Record<string, unknown>;
}

export interface TrpcExchange {
  calls: TrpcCall[];
  /** The answer's body as sent (before any decoding) and as read, in bytes. */
  transferredBytes: number;
  bodyBytes: number;
  /** Each call's `result.data`, in call order (undefined for a call that failed). */
  results: unknown[];
}

/** The calls one tRPC HTTP request carries. */
export function trpcCallsOf(request: Request): TrpcCall[] {
  const url = new URL(request.url());
  const procedures = decodeURIComponent(url.pathname.slice("/api/trpc/".length)).split(",");
  const raw = url.searchParams.get("input") ?? request.postData();
  const input = (raw ? JSON.parse(raw) : {}) as Record<string, Record<string, unknown>>;
  if (url.searchParams.get("batch") !== "1") return [{ procedure: procedures[0] ?? "", input: input as Record<string, unknown> }];
  return procedures.map((procedure, i) => ({ procedure, input: input[String(i)] ?? {} }));
}

export interface TrpcRecorder {
  /** Every tRPC request sent so far, as calls, in order. */
  requests: TrpcCall[][];
  /** Every tRPC answer read so far, in the order they arrived. */
  exchanges: TrpcExchange[];
}

/** Records the page's tRPC requests and answers from now on. */
export function recordTrpc(page: Page): TrpcRecorder {
  const recorder: TrpcRecorder = { requests: [], exchanges: [] };
  const isTrpc = (r: Request) => new URL(r.url()).pathname.startsWith("/api/trpc/");
  page.on("request", (request) => {
    if (isTrpc(request)) recorder.requests.push(trpcCallsOf(request));
  });
  page.on("requestfinished", (request) => {
    if (!isTrpc(request)) return;
    void (async () => {
      const response = await request.response();
      if (!response) return;
      const [body, sizes] = await Promise.all([response.body(), request.sizes()]);
      const answers = JSON.parse(body.toString("utf8")) as { result?: { data?: unknown } }[] | { result?: { data?: unknown } };
      recorder.exchanges.push({
        calls: trpcCallsOf(request),
        transferredBytes: sizes.responseBodySize,
        bodyBytes: body.length,
        results: (Array.isArray(answers) ? answers : [answers]).map((a) => a.result?.data),
      });
    })().catch(() => {
      // The page closed while the answer was being read: nothing to record.
    });
  });
  return recorder;
}
