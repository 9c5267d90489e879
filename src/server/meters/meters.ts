// Meters, managed (OpenMeter's /api/v1/meters): create, list, read, replace and delete, for the
// REST routes, tRPC and `npm run meters` alike. A meter's rollups are kept by the write path
// for every event counted after the meter was created, and built by the backfill
// (backfill.ts) for the events counted before: creating a meter, or changing what it groups
// by, locks processed_event against writers while it commits, so every counting statement
// either sees the meter or committed before its watermark was read (docs/meters.md).
import { ulid } from "ulid";
import { Prisma, type Meter as MeterRow, type Prisma as P } from "../../generated/prisma/client";
import type { MeterCreate, Meter, MeterUpdate } from "../../lib/meters-schema";
import { parseJsonPath } from "../../lib/meters-schema";
import { normalizeName } from "../../lib/names";
import type { Database } from "../db/database";
import { AppError } from "../errors";

/** A JSONPath as given ($.usage.tokens, $["a b"], $[0]) as PostgreSQL's jsonpath reads it ($."usage"."tokens"). */
export function pgJsonPath(path: string): string {
  const steps = parseJsonPath(path);
  if (steps === null) throw new AppError("INVALID_METER", `${path} is not a JSONPath of .name, ["name"] or [index] steps`);
  return `$${steps.map((s) => (typeof s === "number" ? `[${s}]` : `.${JSON.stringify(s)}`)).join("")}`;
}

/** The group-by map as stored: names in order and their jsonpaths beside them. */
function groupColumns(groupBy: Record<string, string>): { groupNames: string[]; groupPaths: string[] } {
  const names = Object.keys(groupBy).sort();
  return { groupNames: names, groupPaths: names.map((n) => pgJsonPath(groupBy[n]!)) };
}

/** A meter as the API answers it (OpenMeter's shape, plus the backfill's progress). */
export function meterOf(row: MeterRow): Meter & { backfill: { done: boolean; progress: number } } {
  const groupBy = row.groupBy as Record<string, string>;
  const total = Number(row.watermark);
  const done = row.backfilledTo >= row.watermark;
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    ...(row.description !== null ? { description: row.description } : {}),
    metadata: (row.metadata as Record<string, string> | null) ?? null,
    annotations: null,
    aggregation: row.aggregation,
    eventType: row.eventType,
    ...(row.eventFrom ? { eventFrom: row.eventFrom.toISOString() } : {}),
    ...(row.valueProperty !== null ? { valueProperty: row.valueProperty } : {}),
    ...(Object.keys(groupBy).length > 0 ? { groupBy } : {}),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    ...(row.deletedAt ? { deletedAt: row.deletedAt.toISOString() } : {}),
    backfill: { done, progress: done || total === 0 ? 1 : Math.min(1, Number(row.backfilledTo) / total) },
  };
}

/**
 * Takes the write path's lock for a change of what meters count: every transaction inserting
 * processed events has committed, and none starts one until this transaction ends. Returns the
 * next rollup series and the watermark: the highest processed event id committed.
 */
async function lockForMeterChange(tx: P.TransactionClient): Promise<{ series: bigint; watermark: bigint }> {
  await tx.$executeRawUnsafe("LOCK TABLE processed_event IN SHARE ROW EXCLUSIVE MODE");
  const [row] = await tx.$queryRaw<{ series: bigint; watermark: bigint }[]>`
    SELECT (SELECT greatest(coalesce(max(series), 0), coalesce((SELECT max(series) FROM meter_retired_series), 0)) + 1 FROM meter) AS series,
           (SELECT coalesce(max(id), 0) FROM processed_event) AS watermark`;
  return { series: BigInt(row!.series), watermark: BigInt(row!.watermark) };
}

const notFound = (idOrSlug: string) => new AppError("NOT_FOUND", `meter not found: ${idOrSlug}`, { field: "meterIdOrSlug" });

export async function createMeter(db: Database, input: MeterCreate): Promise<MeterRow> {
  const groupBy = input.groupBy ?? {};
  const columns = {
    id: ulid(),
    slug: input.slug,
    liveSlug: input.slug,
    name: input.name ?? input.slug,
    description: input.description ?? null,
    aggregation: input.aggregation,
    eventType: normalizeName(input.eventType),
    valueProperty: input.valueProperty ?? null,
    valuePath: input.valueProperty !== undefined ? pgJsonPath(input.valueProperty) : null,
    groupBy,
    ...groupColumns(groupBy),
    eventFrom: input.eventFrom ? new Date(input.eventFrom) : null,
  };
  return db.prisma.$transaction(async (tx) => {
    if (await tx.meter.findUnique({ where: { liveSlug: input.slug }, select: { id: true } })) throw exists(input.slug);
    const { series, watermark } = await lockForMeterChange(tx);
    return tx.meter.create({ data: { ...columns, metadata: input.metadata ?? Prisma.DbNull, series, watermark } });
  }, db.transactionOptions).catch((err: unknown) => {
    // Two creates of one slug at once: the unique index decides.
    if ((err as { code?: string }).code === "P2002") throw exists(input.slug);
    throw err;
  });
}

const exists = (slug: string) => new AppError("METER_EXISTS", `meter with the same slug already exists: ${slug}`, { field: "slug" });

export async function listMeters(db: Database, opts: { includeDeleted?: boolean } = {}): Promise<MeterRow[]> {
  return db.prisma.meter.findMany({ where: opts.includeDeleted ? {} : { deletedAt: null }, orderBy: [{ slug: "asc" }, { createdAt: "asc" }] });
}

/** A meter by its id (deleted or not) or the slug of a live one (OpenMeter's lookup); 404 otherwise. */
export async function getMeter(db: Database | P.TransactionClient, idOrSlug: string): Promise<MeterRow> {
  const client = "prisma" in db ? db.prisma : db;
  const row = await client.meter.findFirst({ where: { OR: [{ id: idOrSlug }, { liveSlug: idOrSlug }] } });
  if (!row) throw notFound(idOrSlug);
  return row;
}

/**
 * PUT: replaces name, description (kept when omitted), groupBy and metadata, as OpenMeter does.
 * A changed group-by starts a new rollup series, filled by the backfill from every processed
 * event; the old series' rows are deleted by the backfill too.
 */
export async function updateMeter(db: Database, idOrSlug: string, input: MeterUpdate): Promise<MeterRow> {
  return db.prisma.$transaction(async (tx) => {
    const meter = await getMeter(tx, idOrSlug);
    if (meter.deletedAt) throw notFound(idOrSlug);
    const groupBy = input.groupBy ?? {};
    const regroup = canonical(groupBy) !== canonical(meter.groupBy as Record<string, string>);
    const data: P.MeterUpdateInput = {
      name: input.name ?? meter.slug,
      ...(input.description !== undefined ? { description: input.description } : {}),
      metadata: input.metadata ?? Prisma.DbNull,
      updatedAt: new Date(),
    };
    if (regroup) {
      const { series, watermark } = await lockForMeterChange(tx);
      await tx.meterRetiredSeries.create({ data: { series: meter.series } });
      Object.assign(data, { groupBy, ...groupColumns(groupBy), series, watermark, backfilledTo: 0n });
    }
    return tx.meter.update({ where: { id: meter.id }, data });
  }, db.transactionOptions);
}

const canonical = (groupBy: Record<string, string>) => JSON.stringify(Object.entries(groupBy).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** DELETE: a soft delete (the meter stays readable by id; its slug is free). Deleting a deleted meter by its id is a no-op. */
export async function deleteMeter(db: Database, idOrSlug: string): Promise<void> {
  const meter = await getMeter(db, idOrSlug);
  if (meter.deletedAt) return;
  await db.prisma.meter.updateMany({ where: { id: meter.id, deletedAt: null }, data: { deletedAt: new Date(), liveSlug: null, updatedAt: new Date() } });
}

/** Meters as read (GET, tRPC, the CLI): their shape, their backfill's progress, and how many events each skipped (one query for all). */
export async function meterViewsOf(db: Database, meters: MeterRow[]): Promise<(ReturnType<typeof meterOf> & { skipped: number })[]> {
  if (meters.length === 0) return [];
  const rows = await db.prisma.$queryRaw<{ series: bigint; skipped: bigint }[]>`
    SELECT series, sum(skipped)::bigint AS skipped FROM meter_rollup
    WHERE series = ANY(${meters.map((m) => String(m.series))}::bigint[]) AND tier = 'day' GROUP BY series`;
  const skipped = new Map(rows.map((r) => [String(r.series), Number(r.skipped)]));
  return meters.map((m) => ({ ...meterOf(m), skipped: skipped.get(String(m.series)) ?? 0 }));
}

/** One meter as read. */
export async function meterViewOf(db: Database, meter: MeterRow): Promise<ReturnType<typeof meterOf> & { skipped: number }> {
  const [view] = await meterViewsOf(db, [meter]);
  return view!;
}

/**
 * Recounts a meter from its events (the check found its rows differ from them): a new rollup
 * series, backfilled from every processed event while ingestion goes on; the old one is retired.
 */
export async function rebuildMeter(db: Database, idOrSlug: string): Promise<MeterRow> {
  return db.prisma.$transaction(async (tx) => {
    const meter = await getMeter(tx, idOrSlug);
    const { series, watermark } = await lockForMeterChange(tx);
    await tx.meterRetiredSeries.create({ data: { series: meter.series } });
    return tx.meter.update({ where: { id: meter.id }, data: { series, watermark, backfilledTo: 0n, updatedAt: new Date() } });
  }, db.transactionOptions);
}
