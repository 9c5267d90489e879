// The reference floor for `npm run bench`: a bare node:http + pg server doing what the
// issue describes, one transaction per event (raw insert, processed insert with
// ON CONFLICT DO NOTHING, raw status update), and for batches one multi-row insert of the
// same rows. No validation, no rollup, no recovery: the least a durable ingest can do.
// Run: tsx bench/baseline-server.ts <port> <postgresql-url> <pool-size>
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import pg from "pg";

const [portArg, url, poolArg] = process.argv.slice(2);
const pool = new pg.Pool({ connectionString: url, max: Number(poolArg ?? 10) });
pool.on("error", () => {});

await pool.query(`
  CREATE TABLE IF NOT EXISTS raw (id bigserial PRIMARY KEY, source text NOT NULL, payload jsonb NOT NULL, status text NOT NULL DEFAULT 'received');
  CREATE TABLE IF NOT EXISTS processed (id bigserial PRIMARY KEY, dedup_key text UNIQUE NOT NULL, source text NOT NULL, metric text NOT NULL, value double precision NOT NULL);`);

interface Event {
  source: string;
  payload: { metric: string; value: number };
}

async function ingestOne(e: Event, key: string): Promise<boolean> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const raw = await client.query<{ id: string }>("INSERT INTO raw (source, payload) VALUES ($1, $2) RETURNING id", [e.source, e.payload]);
    const ins = await client.query("INSERT INTO processed (dedup_key, source, metric, value) VALUES ($1, $2, $3, $4) ON CONFLICT (dedup_key) DO NOTHING", [
      key,
      e.source,
      e.payload.metric,
      e.payload.value,
    ]);
    const counted = ins.rowCount === 1;
    await client.query("UPDATE raw SET status = $2 WHERE id = $1", [raw.rows[0]?.id, counted ? "processed" : "duplicate"]);
    await client.query("COMMIT");
    return !counted;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

async function ingestBatch(events: Event[]): Promise<void> {
  await pool.query(
    "INSERT INTO raw (source, payload) SELECT * FROM unnest($1::text[], $2::jsonb[])",
    [events.map((e) => e.source), events.map((e) => JSON.stringify(e.payload))],
  );
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    const done = (status: number, out: unknown) => {
      const text = JSON.stringify(out);
      res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      res.end(text);
    };
    try {
      if (req.url === "/ingest/batch") {
        const { events } = JSON.parse(body) as { events: Event[] };
        ingestBatch(events).then(() => done(200, { success: true }), () => done(503, { error: "db" }));
        return;
      }
      const event = JSON.parse(body) as Event;
      const key = String(req.headers["idempotency-key"] ?? createHash("sha256").update(body).digest("hex"));
      ingestOne(event, key).then(
        (deduplicated) => done(200, { success: true, deduplicated }),
        () => done(503, { error: "db" }),
      );
    } catch {
      done(400, { error: "bad json" });
    }
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(portArg), "127.0.0.1", () => process.stdout.write("baseline ready\n"));
process.on("SIGTERM", () => {
  server.close();
  void pool.end().then(() => process.exit(0));
});
