"use client";
// The Keys page: create a key (its text shown once), and every key with when it was last
// used, refreshed every few seconds, with a Revoke button per active key. A skeleton until
// the list arrives; a failed refresh keeps the list on screen and says so.
import { useState } from "react";
import { useConsoleSession } from "@/components/auth/use-console-session";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { LoadError } from "@/components/ui/load-error";
import { LoadingBlock } from "@/components/ui/skeleton";
import { toIngestClientError } from "@/lib/ingest-client-error";
import type { CreatedKeyView } from "@/lib/keys-schema";
import { trpc } from "@/lib/trpc/react";
import { CreateKeyForm } from "./create-key-form";
import { KeysTable } from "./keys-table";
import { NewKeyNotice } from "./new-key-notice";

// "Last used" is written at most once a minute per key and instance: a few seconds is plenty.
const refreshMs = 3000;

export function KeysView() {
  const session = useConsoleSession();
  const list = trpc.keys.list.useQuery(undefined, { refetchInterval: refreshMs });
  const [created, setCreated] = useState<CreatedKeyView | null>(null);
  const listError = list.error ? toIngestClientError(list.error) : undefined;

  return (
    <div className="grid gap-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Keys</h1>
        <p className="mt-1 max-w-3xl text-sm text-muted-foreground">
          A write key sends events for one source, which it decides; a read key reads aggregates and events. Clients send a key as{" "}
          <code>Authorization: Bearer &lt;key&gt;</code>. Only a key&apos;s hash is stored: its text is shown once, when it is created.
        </p>
        {session.data && !session.data.authRequired && (
          <p className="mt-3 rounded-md border border-warning/40 bg-warning/10 px-3 py-2 text-sm" data-testid="access-control-off">
            Access control is off on this server (<code>AUTH_REQUIRED=false</code>): keys are not checked, every request is let in.
          </p>
        )}
      </div>

      <Card>
        <CardHeader>
          <CardTitle>{created ? "Key created" : "Create a key"}</CardTitle>
        </CardHeader>
        <CardContent>
          {created ? <NewKeyNotice created={created} onDone={() => setCreated(null)} /> : <CreateKeyForm onCreated={setCreated} />}
        </CardContent>
      </Card>

      <Card>
        <CardHeader>
          <CardTitle>All keys</CardTitle>
          <CardDescription>
            A revoked key is refused within seconds on every instance. &ldquo;Last used&rdquo; is updated at most once a minute. The
            key&apos;s prefix is what <code>npm run keys -- revoke &lt;prefix&gt;</code> takes.
          </CardDescription>
        </CardHeader>
        <CardContent>
          {listError && !list.data && <LoadError what="the keys" message={listError.message} />}
          {listError && list.data && (
            <p role="alert" className="mb-4 text-sm text-danger" data-testid="refresh-error">
              Could not refresh the keys: {listError.message} — showing the list from {new Date(list.dataUpdatedAt).toLocaleTimeString()}.
            </p>
          )}
          {!list.data ? (
            !listError && <LoadingBlock what="the keys" rows={3} />
          ) : list.data.length === 0 ? (
            <p className="py-6 text-center text-sm text-muted-foreground">No keys yet: create one above.</p>
          ) : (
            <KeysTable keys={list.data} />
          )}
        </CardContent>
      </Card>
    </div>
  );
}
