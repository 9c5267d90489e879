// API keys: create, list, revoke, and look a presented key up. A key is `wk_`/`rk_` + 32
// random bytes (base64url), shown once; only its SHA-256 is stored and looked up (a key
// with 256 random bits needs no slow hash: there is nothing to guess). Lookups are cached
// per instance for at most KEY_CACHE_MS, so a revoked key stops working on every instance
// within that time without a database query per request.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Database } from "../db/database";
import type { ApiKeyScope } from "../../generated/prisma/enums";
import { AppError } from "../errors";

export type { ApiKeyScope };

/** Longest a cached lookup is trusted: a revocation reaches every instance within this. */
export const KEY_CACHE_MS = 2_000;
/** lastUsedAt is written at most this often per key and instance. */
const LAST_USED_EVERY_MS = 60_000;
const PREFIX_CHARS = 11; // "wk_" + 8

export interface ApiKeyRecord {
  id: string;
  prefix: string;
  scope: ApiKeyScope;
  source: string | null;
  label: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface CreatedKey {
  key: string;
  record: ApiKeyRecord;
}

const select = { id: true, prefix: true, scope: true, source: true, label: true, createdAt: true, lastUsedAt: true, revokedAt: true } as const;

export const hashKey = (key: string) => createHash("sha256").update(key, "utf8").digest("hex");

/** Creates a key; the only time its text exists outside the client's hands. */
export async function createApiKey(db: Database, input: { scope: ApiKeyScope; source?: string | null; label?: string | null }): Promise<CreatedKey> {
  if (input.scope === "write" && !input.source) throw new AppError("INVALID_ENVELOPE", "A write key needs the source it writes", { field: "source" });
  const key = `${input.scope === "write" ? "wk" : "rk"}_${randomBytes(32).toString("base64url")}`;
  const record = await db.prisma.apiKey.create({
    data: { prefix: key.slice(0, PREFIX_CHARS), hash: hashKey(key), scope: input.scope, source: input.source ?? null, label: input.label ?? null },
    select,
  });
  return { key, record };
}

export async function listApiKeys(db: Database): Promise<ApiKeyRecord[]> {
  return db.prisma.apiKey.findMany({ orderBy: { createdAt: "desc" }, select });
}

/** Revokes the key given whole or by its prefix; returns it, or throws NOT_FOUND. */
export async function revokeApiKey(db: Database, keyOrPrefix: string): Promise<ApiKeyRecord> {
  const where = keyOrPrefix.length > PREFIX_CHARS ? { hash: hashKey(keyOrPrefix) } : { prefix: keyOrPrefix };
  const found = await db.prisma.apiKey.findUnique({ where, select: { id: true, revokedAt: true } });
  if (!found) throw new AppError("NOT_FOUND", `No key ${keyOrPrefix.slice(0, PREFIX_CHARS)}… exists`, { field: "key" });
  return db.prisma.apiKey.update({ where: { id: found.id }, data: { revokedAt: found.revokedAt ?? new Date() }, select });
}

interface CacheEntry {
  record: (ApiKeyRecord & { hash: string }) | null;
  at: number;
}

/** Per-database lookup cache (bounded: a flood of made-up keys cannot grow it without end). */
const caches = new WeakMap<Database, Map<string, CacheEntry>>();
const lastUsedWritten = new Map<string, number>();
const MAX_CACHED = 10_000;

/** The active key with this text, or null (unknown or revoked). */
export async function findActiveKey(db: Database, key: string): Promise<ApiKeyRecord | null> {
  const hash = hashKey(key);
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map()));
  const now = Date.now();
  let entry = cache.get(hash);
  if (!entry || now - entry.at > KEY_CACHE_MS) {
    const row = await db.prisma.apiKey.findUnique({ where: { hash }, select: { ...select, hash: true } });
    entry = { record: row, at: now };
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
    cache.set(hash, entry);
  }
  const record = entry.record;
  // The lookup was by hash; comparing the stored hash in constant time as well keeps the
  // check independent of how the index compares strings.
  if (!record || record.revokedAt || !timingSafeEqual(Buffer.from(record.hash), Buffer.from(hash))) return null;
  if (now - (lastUsedWritten.get(record.id) ?? 0) > LAST_USED_EVERY_MS) {
    lastUsedWritten.set(record.id, now);
    void db.prisma.apiKey.update({ where: { id: record.id }, data: { lastUsedAt: new Date(now) } }).catch(() => lastUsedWritten.delete(record.id));
  }
  return record;
}
