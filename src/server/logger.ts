// Structured logs through pino: one JSON line per record on stderr (stdout carries only the
// start-up banner), filtered by LOG_LEVEL, with the level's name and an ISO time so a line
// reads the same in a terminal and a log store:
//   {"level":"warn","time":"2026-11-24T10:00:00.000Z","pid":4242,"requestId":"4f0c…","code":"DATABASE_UNAVAILABLE","msg":"request failed"}
// The service's call sites say `log.warn("request failed", { code })`, message first: this
// interface keeps that order (pino's own is fields first, and its `info(msg, obj)` would drop
// the fields without a word). Lines about one request carry its id (observability/request-id.ts).
import { pino, type DestinationStream } from "pino";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

type LogFn = (msg: string, fields?: Record<string, unknown>) => void;

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  /** A logger whose every line also carries `bindings` (a request's id). */
  child(bindings: Record<string, unknown>): Logger;
  /** Whether a line at `level` would be written (skip building fields nobody reads). */
  isLevelEnabled(level: Exclude<LogLevel, "silent">): boolean;
}

/** A logger at `level` writing to `destination` (stderr, synchronously, when not given). */
export function createLogger(level: LogLevel, destination: DestinationStream = pino.destination({ fd: 2, sync: true })): Logger {
  return adapt(
    pino(
      {
        level,
        base: { pid: process.pid },
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
      },
      destination,
    ),
  );
}

function adapt(p: pino.Logger): Logger {
  return {
    debug: (msg, fields) => p.debug(fields ?? {}, msg),
    info: (msg, fields) => p.info(fields ?? {}, msg),
    warn: (msg, fields) => p.warn(fields ?? {}, msg),
    error: (msg, fields) => p.error(fields ?? {}, msg),
    child: (bindings) => adapt(p.child(bindings)),
    isLevelEnabled: (level) => p.isLevelEnabled(level),
  };
}
