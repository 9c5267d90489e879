// The analytics SDKs through a PostgreSQL outage (README "Point your SDK at it"; docs/write-path.md, "Failure model"):
// unmodified Segment, RudderStack and PostHog SDKs each make 300 track/capture calls with
// their own messageIds, about 100 a second, to one app instance (a real process, access
// control on, a write key per SDK created by the keys CLI) on the suite's throwaway
// PostgreSQL. As soon as every SDK has had a batch acknowledged, PostgreSQL is stopped
// (immediate shutdown) while flushes are in flight; each SDK's last 150 calls are made only
// then, so every SDK has requests to send into the outage. PostgreSQL stays down until every
// SDK has seen a request fail, and at least a few seconds, then comes back. The SDKs' own
// retries (budgets in test/support/sdk-clients.ts, outageRetries) must then end with every
// messageId counted exactly once with its value, every aggregate equal to its recomputation
// and served as stored, and no raw event left `received`. The tally (per SDK: calls, 503s
// seen, counted, duplicates) goes to stdout and e2e/artifacts/faults-sdk-outage.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/server/db/database";
import { checkInvariants } from "../../test/support/invariants";
import { createSdkClient, sdkNames, type SdkClient, type SdkName, type SdkTrack } from "../../test/support/sdk-clients";
import { projectRoot } from "../support/app-process";
import { adminToken, appEnv, createFleet, type AppInstance } from "./support/app-fleet";
import { countsByIdempotencyKey, openCheckDatabase, rawStatuses } from "./support/check-db";
import { createWriteKeys } from "./support/keys-cli";
import { startCluster, type PgCluster } from "./support/pg-cluster";
import { servedAggregates, storedAggregates } from "./support/reader";
import { eventually } from "./support/wait";

const callsPerSdk = 300;
/** Small batches, flushed often, made at about 100 calls a second: many requests in flight. */
const flushAt = 10;
const flushIntervalMs = 100;
const callsPerTick = 10;
const tickMs = 100;
/** Calls each SDK makes only once PostgreSQL is stopped. */
const keptForOutage = 150;
/** Stop PostgreSQL once every SDK has had this many calls acknowledged (a batch). */
const deliveredBeforeStop = flushAt;
/** The nemesis schedule: PostgreSQL stays down at least this long. */
const minOutageMs = 3000;
/** Longest the SDKs may take to deliver everything once PostgreSQL is back (their backoff grows). */
const closeTimeoutMs = 180_000;
const metric = "orders";
const sourcePrefix = "faults-sdk-";
const sourceOf = (sdk: SdkName) => `${sourcePrefix}${sdk}`;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The calls one SDK makes: values 1…n, so the expected sum is n(n+1)/2. */
function calls(sdk: SdkName): SdkTrack[] {
  const start = Date.UTC(2024, 4, 1);
  return Array.from({ length: callsPerSdk }, (_, i) => ({
    messageId: randomUUID(),
    event: metric,
    userId: `${sdk}-user-${i % 7}`,
    properties: { value: i + 1, sdk },
    timestamp: new Date(start + i * 1000),
  }));
}

/**
 * Makes the calls at a steady pace, as an app would. The last `keptForOutage` calls wait for
 * PostgreSQL to be stopped, so however fast the first ones were delivered, every SDK still
 * has requests to make while it is down.
 */
async function produce(client: SdkClient, tracks: SdkTrack[], stopped: Promise<void>): Promise<void> {
  for (let i = 0; i < tracks.length; i += callsPerTick) {
    if (i === tracks.length - keptForOutage) await stopped;
    for (const t of tracks.slice(i, i + callsPerTick)) client.track(t);
    await delay(tickMs);
  }
}

describe("the analytics SDKs while PostgreSQL is stopped mid-flush and restarted", () => {
  let cluster: PgCluster;
  let app: AppInstance;
  let db: Database;
  let keys: Map<string, string>;

  beforeAll(async () => {
    cluster = await startCluster();
    const url = await cluster.createDatabase("sdk_outage");
    [app] = (await createFleet(1, appEnv(url))) as [AppInstance];
    await app.start();
    db = openCheckDatabase(url);
    keys = await createWriteKeys(appEnv(url), sdkNames.map(sourceOf), "sdk-outage");
  });

  afterAll(async () => {
    await app?.stop();
    await db?.close().catch(() => {});
    await cluster?.destroy();
  });

  it("every call of every SDK is counted exactly once, by the SDKs' own retries", async () => {
    const sent = new Map(sdkNames.map((sdk) => [sdk, calls(sdk)]));
    const clients = sdkNames.map((sdk) =>
      createSdkClient(sdk, { host: app.url, key: keys.get(sourceOf(sdk)) ?? "", flushAt, flushIntervalMs, retries: "outage" }),
    );
    let markStopped = () => {};
    const stopped = new Promise<void>((resolve) => (markStopped = resolve));
    const producing = clients.map((c) => produce(c, sent.get(c.name) ?? [], stopped));

    await eventually(
      `every SDK to have ${deliveredBeforeStop} calls acknowledged`,
      async () => (clients.every((c) => c.report.delivered >= deliveredBeforeStop) ? true : undefined),
      60_000,
      10,
    );
    const deliveredAtStop = Object.fromEntries(clients.map((c) => [c.name, c.report.delivered]));
    await cluster.stopImmediate();
    const stoppedAt = Date.now();
    markStopped();
    try {
      await eventually(
        "every SDK to see a request fail",
        async () => {
          if (clients.every((c) => Object.keys(c.report.failedAttempts).length > 0)) return true;
          // Thrown, so a timeout names what each SDK had seen.
          throw new Error(JSON.stringify(clients.map((c) => ({ sdk: c.name, ...c.report }))));
        },
        60_000,
      );
      await delay(Math.max(0, stoppedAt + minOutageMs - Date.now()));
    } finally {
      await cluster.start();
    }
    const outageMs = Date.now() - stoppedAt;
    await Promise.all(producing);
    await Promise.all(clients.map((c) => c.close(closeTimeoutMs)));

    await eventually("no raw event left received", async () => ((await rawStatuses(db)).received === undefined ? true : undefined), 60_000);

    const tally = [];
    for (const c of clients) {
      const source = sourceOf(c.name);
      const counts = await countsByIdempotencyKey(db, source);
      const tracks = sent.get(c.name) ?? [];
      const statuses = await rawStatuses(db, source);
      tally.push({
        sdk: c.name,
        sent: tracks.length,
        deliveredBeforeStop: deliveredAtStop[c.name],
        delivered: c.report.delivered,
        failedAttempts: c.report.failedAttempts,
        gaveUp: c.report.failures.length,
        counted: counts.size,
        /** Raw copies of an event already counted: a batch committed whose answer was lost, sent again. */
        duplicates: statuses.deduplicated ?? 0,
        rawStatuses: statuses,
      });

      // The SDK gave up on nothing and saw only the outage's answer.
      expect(c.report.failures, c.name).toEqual([]);
      expect(c.report.delivered, c.name).toBe(tracks.length);
      expect(Object.keys(c.report.failedAttempts), c.name).toEqual(["503"]);
      // Every messageId counted exactly once with its value; nothing counted that was not sent.
      const wrong = tracks.filter((t) => counts.get(t.messageId)?.n !== 1 || Number(counts.get(t.messageId)?.value) !== t.properties.value);
      expect(
        wrong.map((t) => `${t.messageId}: ${JSON.stringify(counts.get(t.messageId) ?? null)}`),
        c.name,
      ).toEqual([]);
      expect(counts.size, c.name).toBe(tracks.length);
      expect(statuses.counted, c.name).toBe(tracks.length);
    }
    console.log(`[sdk-outage] PostgreSQL down ${outageMs} ms\n${tally.map((t) => JSON.stringify(t)).join("\n")}`);
    mkdirSync(join(projectRoot, "e2e/artifacts"), { recursive: true });
    writeFileSync(join(projectRoot, "e2e/artifacts/faults-sdk-outage.json"), `${JSON.stringify({ outageMs, tally }, null, 2)}\n`);

    const n = callsPerSdk;
    expect(await storedAggregates(db, sourcePrefix)).toEqual(
      sdkNames.map((sdk) => `${sourceOf(sdk)}/${metric} count=${n} sum=${(n * (n + 1)) / 2}`).sort(),
    );
    expect(await servedAggregates(app.url, `Bearer ${adminToken}`, sourcePrefix)).toEqual(await storedAggregates(db, sourcePrefix));
    expect(await checkInvariants(db)).toEqual([]);
    expect(app.problems()).toEqual([]);
    expect(app.running).toBe(true);
  });
});
