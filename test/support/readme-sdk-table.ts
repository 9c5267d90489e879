// The README's SDK mapping table ("Send from your existing SDK", between
// `<!-- sdk-mapping:start -->` and `<!-- sdk-mapping:end -->`), read as rows: one parser for the
// unit test of the mapping (test/read-event.test.ts, every row) and the HTTP test
// (test/sdk-mapping.test.ts, one row per protocol and outcome).
import { readFileSync } from "node:fs";

export interface SdkMappingRow {
  format: "segment" | "posthog";
  message: Record<string, unknown>;
  /** `rejected` names the message's field at fault. */
  status: "counted" | "not_counted" | { rejected: string };
  metric: string | null;
  value: number | null;
  /** ISO-8601 UTC with milliseconds, `receipt` (the message has none: the time it was received), or null. */
  timestamp: string | null;
  key: string | null;
  attributes: unknown;
}

const code = (cell: string) => (cell === "—" ? null : cell.replace(/^`|`$/g, ""));

/** Every row of the table, in its order. Throws when the README has no such table. */
export function readmeSdkRows(): SdkMappingRow[] {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const start = readme.indexOf("<!-- sdk-mapping:start -->");
  const end = readme.indexOf("<!-- sdk-mapping:end -->");
  if (start < 0 || end < start) throw new Error("README.md has no SDK mapping table (<!-- sdk-mapping:start --> … <!-- sdk-mapping:end -->)");
  return readme
    .slice(start, end)
    .split("\n")
    .filter((l) => l.startsWith("| segment |") || l.startsWith("| posthog |"))
    .map((line) => {
      const cells = line.slice(2, -2).split(" | ");
      const [format, message, status, metric, value, timestamp, key, attributes] = cells.map((c) => c.trim());
      const rejected = status?.match(/^rejected: `(.+)`$/)?.[1];
      return {
        format: format as SdkMappingRow["format"],
        message: JSON.parse(code(message!)!) as Record<string, unknown>,
        status: rejected ? { rejected } : (status as "counted" | "not_counted"),
        metric: code(metric!),
        value: value === "—" ? null : Number(value),
        timestamp: code(timestamp!),
        key: code(key!),
        attributes: attributes === "—" ? null : (JSON.parse(code(attributes!)!) as unknown),
      };
    });
}

/** The outcome a row states: counted, not_counted or rejected. */
export const outcomeOfRow = (row: SdkMappingRow): "counted" | "not_counted" | "rejected" => (typeof row.status === "string" ? row.status : "rejected");
