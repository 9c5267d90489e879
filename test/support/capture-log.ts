// The server's real logger (pino, every level) writing into memory instead of stderr, for
// assertions about what the server logged; `until` awaits a record, so tests never sleep.
import { createLogger, type Logger } from "../../src/server/logger";

export interface LogRecord {
  level: "debug" | "info" | "warn" | "error";
  msg: string;
  /** Everything else on the line, less pino's own `time` and `pid`. */
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
  const logger = createLogger("debug", {
    write(line: string) {
      const { level, msg, time: _time, pid: _pid, ...fields } = JSON.parse(line) as Record<string, unknown>;
      const record = { level: level as LogRecord["level"], msg: String(msg), fields };
      records.push(record);
      for (const w of waiters) w(record);
    },
  });
  return {
    ...logger,
    records,
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
