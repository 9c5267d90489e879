// A timestamptz as SQL text in JSON's ISO-8601 form, UTC, with milliseconds: what
// Date#toISOString writes. The one spelling for every answer, cursor and report that reads
// times as text from SQL (aggregates pages, the cursor's sort value, the rollup check).
// UTC explicitly, so the session's time zone never changes the text.

/** The SQL expression of `expr` (a timestamptz) as ISO-8601 UTC text. */
export const isoTimeSql = (expr: string): string => `to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
