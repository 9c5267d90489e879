// An import's progress across runs (`npm run import`), in a small JSON file: how far into the
// file the server has acknowledged every line (a byte offset, always at a line break), the
// SHA-256 of those bytes, and the tallies so far. A re-run skips that prefix if the file still
// begins with the same bytes (it may have grown: a log being appended to), and sends the same
// server with the same key; otherwise it starts over. Skipping is only a saving: the service's
// dedup keys already make a re-sent line count nothing twice.
// The rejected lines go to a file beside it, appended chunk by chunk (`<checkpoint>.rejected`,
// NDJSON), so that saving stays small however many lines a file gets rejected; the checkpoint
// says how many of those records belong to the acknowledged prefix.
import { createHash, type Hash } from "node:crypto";
import { appendFileSync, createReadStream, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { z } from "zod";

const rejectionSchema = z.object({ line: z.number().int(), code: z.string(), reason: z.string() });
export type Rejection = z.infer<typeof rejectionSchema>;

const tallySchema = z.object({
  counted: z.number().int(),
  deduplicated: z.number().int(),
  /** Lines not sent: empty or whitespace only. */
  blank: z.number().int(),
  /** How many records of the rejections file are this prefix's. */
  rejected: z.number().int(),
});
export type Tally = z.infer<typeof tallySchema>;

const checkpointSchema = z.object({
  version: z.literal(1),
  file: z.string(),
  /** The server's URL and a hash of the key: another target means another import. */
  target: z.string(),
  offset: z.number().int().min(0),
  /** Lines acknowledged (the last one's number). */
  lines: z.number().int().min(0),
  prefixSha256: z.string(),
  tally: tallySchema,
});
export type Checkpoint = z.infer<typeof checkpointSchema>;

/** Where the checkpoint of `file` lives by default: under .data/imports, named after the file and its full path. */
export function defaultCheckpointPath(file: string): string {
  const id = createHash("sha256").update(resolve(file)).digest("hex").slice(0, 12);
  return resolve(".data/imports", `${basename(file)}.${id}.json`);
}

/** Which server, and as whom: the URL and the first characters of the key's SHA-256 (never the key). */
export function targetOf(url: string, key: string | undefined): string {
  return `${url} key:${key ? createHash("sha256").update(key).digest("hex").slice(0, 12) : "none"}`;
}

export type Resume = { checkpoint: Checkpoint; rejections: Rejection[]; hash: Hash } | { checkpoint: null; hash: Hash; ignored?: string };

const rejectionsPath = (path: string) => `${path}.rejected`;

/**
 * The checkpoint to resume from, with its rejected lines and the running hash of the prefix it
 * covers; or a fresh start (any earlier rejections file removed), saying why a checkpoint found
 * was not used.
 */
export async function loadCheckpoint(path: string, file: string, target: string): Promise<Resume> {
  const fresh = (ignored?: string): Resume => {
    rmSync(rejectionsPath(path), { force: true });
    return { checkpoint: null, hash: createHash("sha256"), ignored };
  };
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return fresh();
  }
  let found: Checkpoint;
  try {
    found = checkpointSchema.parse(JSON.parse(text));
  } catch {
    return fresh(`the checkpoint ${path} is not one this tool wrote`);
  }
  if (found.file !== resolve(file)) return fresh(`the checkpoint ${path} is for ${found.file}`);
  if (found.target !== target) return fresh(`the checkpoint ${path} was written for another server or key (${found.target})`);
  const hash = createHash("sha256");
  let read = 0;
  if (found.offset > 0) {
    for await (const chunk of createReadStream(file, { start: 0, end: found.offset - 1 }) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      read += chunk.length;
    }
  }
  if (read !== found.offset || hash.copy().digest("hex") !== found.prefixSha256) {
    return fresh(`${file} no longer begins with the ${found.lines} lines acknowledged earlier`);
  }
  // Records past the count were appended for a chunk whose checkpoint was never written: drop them.
  let records: string[] = [];
  try {
    if (found.tally.rejected > 0) records = readFileSync(rejectionsPath(path), "utf8").split("\n").slice(0, found.tally.rejected);
  } catch {
    // missing: said below
  }
  if (records.length < found.tally.rejected) return fresh(`the rejected lines recorded beside ${path} are missing`);
  writeFileSync(rejectionsPath(path), records.map((r) => `${r}\n`).join(""));
  return { checkpoint: found, rejections: records.map((r) => rejectionSchema.parse(JSON.parse(r))), hash };
}

/** Records a chunk's rejected lines, then replaces the checkpoint atomically (written aside, then renamed over it). */
export function saveCheckpoint(path: string, checkpoint: Checkpoint, newRejections: Rejection[]): void {
  mkdirSync(dirname(path), { recursive: true });
  if (newRejections.length > 0) appendFileSync(rejectionsPath(path), newRejections.map((r) => `${JSON.stringify(r)}\n`).join(""));
  const aside = `${path}.${process.pid}.tmp`;
  writeFileSync(aside, JSON.stringify(checkpoint));
  renameSync(aside, path);
}

export function removeCheckpoint(path: string): void {
  rmSync(path, { force: true });
  rmSync(rejectionsPath(path), { force: true });
}
