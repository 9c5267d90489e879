export default function HomePage() {
  return (
    <main className="mx-auto max-w-3xl p-8">
      <h1 className="text-2xl font-semibold">Ingest</h1>
      <p className="mt-2 text-zinc-600 dark:text-zinc-400">
        Fault-tolerant event ingestion. API: <code>POST /ingest</code>, <code>POST /ingest/batch</code>,{" "}
        <code>GET /aggregates</code>, tRPC at <code>/api/trpc</code>.
      </p>
    </main>
  );
}
