// The write path's three failure points (docs/write-path.md, "Failure model"),
// caused by REAL connection loss instead of simulation: the TCP proxy between the app and
// PostgreSQL cuts the connection at an exact protocol message —
//   before capture: the raw INSERT never reaches the server → 503, nothing stored;
//   after capture:  the processing transaction's first query is cut → 503, the raw event
//                   stays `received` and the recovery worker (or a client retry) counts it;
//   after commit:   the processing COMMIT executes but its answer is lost → 503 although
//                   the event is counted; the client's retry is answered deduplicated.
// Each case ends with the event counted exactly once and the invariants holding. The client
// sends a write key (Bearer) created by the keys CLI: access control is on.
// Both ways a group is written run the cases that exist for them: the two stages
// (GROUP_COMMIT_ONE_STATEMENT=false, also every group's fallback) have all three points; the
// one statement (the default) is atomic, so it has no "after capture": its points are before
// the statement (nothing stored) and its answer lost (everything committed).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { checkInvariants } from "../../test/support/invariants";
import type { Database } from "../../src/server/db/database";
import { appEnv, appTimeouts, createFleet, type AppInstance } from "./support/app-fleet";
import { countsByKey, openCheckDatabase, rawOfKey } from "./support/check-db";
import { createKeyWithCli } from "./support/keys-cli";
import { startCluster, type PgCluster } from "./support/pg-cluster";
import { postOnce, writer, type FaultEvent, type Writer } from "./support/retrying-client";
import { TcpProxy } from "./support/tcp-proxy";
import { eventually } from "./support/wait";

/**
 * SQL the write path sends, on both of its paths (one event per transaction through
 * Prisma's model API, or group commit's raw SQL): the capture INSERT; the processing
 * transaction's row lock (not the recovery worker's claim, which SKIPs LOCKED); the
 * processed-event INSERT; the COMMIT.
 */
const captureSql = /INSERT INTO ("public"\.)?"?raw_event"?/;
const processSql = /FOR UPDATE(?! SKIP LOCKED)/;
const processedInsertSql = /INSERT INTO ("public"\.)?"?processed_event"?/;
const commitSql = /COMMIT/;

const source = "faults-points";
let seq = 0;
let client: Writer;
const newEvent = (label: string): FaultEvent => ({ ...client, key: `${label}-${Date.now()}-${seq++}`, metric: label, value: 10 + seq });

describe.each([
  ["two stages", false],
  ["one statement", true],
] as const)("failure points hit by real connection loss (%s)", (_path, oneStatement) => {
  /** Where the write's commit is: the processing COMMIT, or the one statement itself (autocommit). */
  const theCommit = oneStatement ? { on: captureSql } : { after: processSql, on: commitSql };
  const theProcessedInsert = oneStatement ? { on: captureSql } : { after: processSql, on: processedInsertSql };
  let cluster: PgCluster;
  let proxy: TcpProxy;
  let app: AppInstance;
  let db: Database;

  beforeAll(async () => {
    cluster = await startCluster();
    const direct = await cluster.createDatabase("points");
    proxy = await TcpProxy.start(cluster.port);
    const viaProxy = direct.replace(`:${cluster.port}/`, `:${proxy.port}/`);
    [app] = (await createFleet(1, appEnv(viaProxy, { RECOVERY_DELAY_MS: "1000", GROUP_COMMIT_ONE_STATEMENT: String(oneStatement) }))) as [AppInstance];
    await app.start();
    db = openCheckDatabase(direct);
    client = writer(source, await createKeyWithCli(appEnv(direct), { source, label: "failure points" }), "bearer");
  });

  afterEach(async () => {
    expect(await checkInvariants(db)).toEqual([]);
  });

  afterAll(async () => {
    await app?.stop();
    await proxy?.close();
    await db?.close().catch(() => {});
    await cluster?.destroy();
  });

  const post = async (event: FaultEvent) => (await postOnce(app.url, event, 15_000)).attempt.result;
  const postBody = async (event: FaultEvent) => (await postOnce(app.url, event, 15_000)).body;
  const countOf = async (event: FaultEvent) => (await countsByKey(db, source)).get(event.key)?.n ?? 0;
  const rawStatusesOf = async (event: FaultEvent) => (await rawOfKey(db, event.key)).map((r) => r.status);

  it("before capture: the client gets 503, nothing is stored, and the retry counts the event", async () => {
    const event = newEvent("before-capture");
    const cut = proxy.faultWhen({ on: captureSql, action: "drop-request" });
    expect(await post(event)).toBe(503);
    await cut;
    expect(await rawStatusesOf(event)).toEqual([]);
    expect(await postBody(event)).toEqual({ success: true, deduplicated: false, identifiedBy: "key" });
    expect(await countOf(event)).toBe(1);
  });

  it.skipIf(oneStatement)("after capture: the client gets 503, the raw event stays received, and the recovery worker counts it without any retry", async () => {
    const event = newEvent("after-capture");
    const cut = proxy.faultWhen({ on: processSql, action: "drop-request" });
    expect(await post(event)).toBe(503);
    await cut;
    expect(await countOf(event)).toBe(0);
    expect(await rawStatusesOf(event)).toEqual(["received"]);
    await eventually("the recovery worker to process the raw event", async () => ((await rawStatusesOf(event))[0] === "counted" ? true : undefined), 15_000);
    expect(await countOf(event)).toBe(1);
    // The client, unaware, retries later: deduplicated, still counted once.
    expect(await postBody(event)).toEqual({ success: true, deduplicated: true, identifiedBy: "key" });
    expect(await countOf(event)).toBe(1);
    expect(await rawStatusesOf(event)).toEqual(["counted", "deduplicated"]);
  });

  it.skipIf(oneStatement)("after capture, the client's immediate retry and the recovery worker race, and the event is still counted once", async () => {
    const event = newEvent("after-capture-race");
    const cut = proxy.faultWhen({ on: processSql, action: "drop-request" });
    expect(await post(event)).toBe(503);
    await cut;
    // Retry at once, well inside RECOVERY_DELAY_MS: the retry's own raw copy is counted.
    expect(await postBody(event)).toEqual({ success: true, deduplicated: false, identifiedBy: "key" });
    // Then the worker finishes the first raw copy as a duplicate.
    await eventually("the worker to finish the first raw copy", async () => ((await rawStatusesOf(event)).includes("received") ? undefined : true), 15_000);
    expect((await rawStatusesOf(event)).sort()).toEqual(["counted", "deduplicated"]);
    expect(await countOf(event)).toBe(1);
  });

  it("after commit: the COMMIT's answer is lost, the client gets 503 for a counted event, and the retry is answered deduplicated", async () => {
    const event = newEvent("after-commit");
    const cut = proxy.faultWhen({ ...theCommit, action: "drop-reply" });
    expect(await post(event)).toBe(503);
    await cut;
    expect(await countOf(event)).toBe(1);
    expect(await rawStatusesOf(event)).toEqual(["counted"]);
    expect(await postBody(event)).toEqual({ success: true, deduplicated: true, identifiedBy: "key" });
    expect(await countOf(event)).toBe(1);
  });

  it("a transaction abandoned on a query timeout is rolled back, never committed by the next request on its connection", async () => {
    // The server executes the processing INSERT but its answer is held past the query
    // timeout and past the ROLLBACK's own timeout: the app gives up on a connection whose
    // server-side transaction is still open. Reused as is, the next request's statements
    // would run inside that transaction and its COMMIT would commit the abandoned half:
    // a processed event without its rollup or its raw event marked.
    const abandoned = newEvent("abandoned");
    const next = newEvent("next-on-connection");
    const holdMs = 2 * (appTimeouts.DB_QUERY_TIMEOUT_MS + 500) + 1500;
    const held = proxy.faultWhen({ ...theProcessedInsert, action: "hold-reply", holdMs });
    expect(await post(abandoned)).toBe(503);
    await held;
    expect(await postBody(next)).toEqual({ success: true, deduplicated: false, identifiedBy: "key" });
    await eventually("no raw copy left received", async () => ((await rawStatusesOf(abandoned)).includes("received") ? undefined : true), 20_000);
    expect(await countOf(next)).toBe(1);
    expect(await countOf(abandoned)).toBe(1);
    expect(await rawStatusesOf(abandoned)).toEqual(["counted"]);
  });

  it("latency beyond the query timeout: 503 within the bound, then 200 once the network is fast again", async () => {
    const event = newEvent("latency");
    proxy.setDelay(appTimeouts.DB_QUERY_TIMEOUT_MS + 1000);
    const started = Date.now();
    let status: number | string;
    try {
      status = await post(event);
    } finally {
      proxy.setDelay(0);
    }
    expect(status).toBe(503);
    expect(Date.now() - started).toBeLessThanOrEqual(appTimeouts.DB_CONNECT_TIMEOUT_MS + appTimeouts.DB_QUERY_TIMEOUT_MS + 500 + 1500);
    const body = await eventually("a 200 after the latency is gone", async () => {
      const r = await postOnce(app.url, event, 15_000);
      return r.attempt.result === 200 ? r.body : undefined;
    }, 20_000, 200);
    expect(body).toMatchObject({ success: true });
    await eventually("no raw copy left received", async () => ((await rawStatusesOf(event)).includes("received") ? undefined : true), 20_000);
    expect(await countOf(event)).toBe(1);
  });

  it("the app survived every cut without crashing or an unhandled rejection", () => {
    expect(app.problems()).toEqual([]);
    expect(app.running).toBe(true);
  });
});
