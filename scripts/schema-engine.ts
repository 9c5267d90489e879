// Prisma's schema engine, compiled to WebAssembly, loaded by hand (its package expects a
// bundler). Used offline to turn schema.prisma into Prisma's own migration SQL: exactly
// what `prisma migrate diff --script` prints, without the native engine we cannot download.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { PGlite } from "@electric-sql/pglite";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import * as bg from "@prisma/schema-engine-wasm/schema_engine_bg";
import { PrismaPGlite } from "pglite-prisma-adapter";

let loaded: Promise<void> | undefined;

function loadWasm(): Promise<void> {
  loaded ??= (async () => {
    const require = createRequire(import.meta.url);
    const wasmPath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg").replace(/\.js$/, ".wasm");
    const { instance } = await WebAssembly.instantiate(await readFile(wasmPath), {
      "./schema_engine_bg.js": bg as unknown as WebAssembly.ModuleImports,
    });
    (bg as unknown as { __wbg_set_wasm(w: WebAssembly.Exports): void }).__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start(): void }).__wbindgen_start();
  })();
  return loaded;
}

/**
 * The SQL that takes a database from `fromDatamodel` (or empty) to `toDatamodel`.
 * `pgliteLoadDataDir`: a PGlite data folder tarball for the throwaway connection to start
 * from instead of running initdb (the tests pass their empty template).
 */
export async function diffDatamodels(fromDatamodel: string | null, toDatamodel: string, opts: { pgliteLoadDataDir?: Blob } = {}): Promise<string> {
  await loadWasm();
  // The engine insists on a connection even for a datamodel diff: a throwaway in-memory
  // PGlite keeps this offline and server-free.
  const lite = new PGlite("memory://", opts.pgliteLoadDataDir ? { loadDataDir: opts.pgliteLoadDataDir } : {});
  const factory = bindMigrationAwareSqlAdapterFactory(new PrismaPGlite(lite));
  const engine = await bg.SchemaEngine.new({ datamodels: [["schema.prisma", toDatamodel]] }, () => {}, factory);
  try {
    const target = (content: string) => ({ tag: "schemaDatamodel" as const, files: [{ path: "schema.prisma", content }] });
    const result = await engine.diff({
      from: fromDatamodel === null ? { tag: "empty" } : target(fromDatamodel),
      to: target(toDatamodel),
      script: true,
      exitCode: null,
      filters: { externalTables: [], externalEnums: [] },
    });
    return result.stdout ?? "";
  } finally {
    engine.free();
    await lite.close();
  }
}
