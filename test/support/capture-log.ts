// A Logger that keeps every record (every level) for assertions about what the server
// logged, instead of writing it to stderr; `until` awaits a record, so tests never sleep.
import type { Logger, LogLevel } from "../../src/server/logger";

export interface LogRecord {
  level: Exclude<LogLevel, "silent">;
  msg: string;
  fields: Record<string, unknown>;
}

export interface CapturedLog extends Logger {
  records: LogRecord[];
  /** The first record (already kept or still to come) that matches; rejects after `timeoutMs`. */
  until(match: (r: LogRecord) => boolean, timeoutMs?: number): Promise<LogRecord>;
}

export function captureLog(): CapturedLog {
  const records: LogRecord[] = [];
  const waiters = new Set<(r: LogRecord) => void>();
  const at = (level: LogRecord["level"]) => (msg: string, fields: Record<string, unknown> = {}) => {
    const record = { level, msg, fields };
    records.push(record);
    for (const w of waiters) w(record);
  };
  return {
    records,
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    until(match, timeoutMs = 5000) {
      const kept = records.find(match);
      if (kept) return Promise.resolve(kept);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching log record within ${timeoutMs} ms; got ${JSON.stringify(records)}`));
        }, timeoutMs);
        const waiter = (r: LogRecord) => {
          if (!match(r)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(r);
        };
        waiters.add(waiter);
      });
    },
  };
}
