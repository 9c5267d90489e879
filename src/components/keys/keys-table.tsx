"use client";
// Every key, newest first: prefix (the key's first characters, enough to recognise it, shown
// whole: it is what `npm run keys -- revoke <prefix>` takes), scope, source, label, when it
// was created and last used, and whether it is active; a Revoke button per active key,
// confirmed in a dialog.
import { useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { TableContainer } from "@/components/ui/table-container";
import { formatDateTime } from "@/lib/format";
import { toIngestClientError } from "@/lib/ingest-client-error";
import type { ApiKeyView } from "@/lib/keys-schema";
import { trpc } from "@/lib/trpc/react";

export function KeysTable({ keys }: { keys: ApiKeyView[] }) {
  const utils = trpc.useUtils();
  const revoke = trpc.keys.revoke.useMutation();
  const [asked, setAsked] = useState<ApiKeyView | null>(null);
  const [announcement, setAnnouncement] = useState("");

  const close = () => {
    setAsked(null);
    revoke.reset();
  };
  const confirm = async () => {
    if (!asked) return;
    try {
      await revoke.mutateAsync({ key: asked.prefix });
      setAnnouncement(`Key ${asked.prefix}… revoked. Clients using it are refused within seconds.`);
      close();
      await utils.keys.list.invalidate();
    } catch {
      // revoke.error is shown in the dialog, which stays open.
    }
  };

  return (
    <>
      <TableContainer>
        <table className="w-full text-sm" aria-label="API keys, newest first">
          <thead>
            <tr className="border-b border-border text-left text-muted-foreground">
              <th scope="col" className="px-3 py-2 font-medium">
                Key
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                Scope
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                Source
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                Label
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                Created
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                Last used
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                Status
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr
                key={k.prefix}
                className="border-b border-border/60 align-middle last:border-0"
                data-testid="key-row"
                data-prefix={k.prefix}
                data-status={k.revokedAt ? "revoked" : "active"}
                data-last-used={k.lastUsedAt ?? ""}
              >
                <th scope="row" className="whitespace-nowrap px-3 py-2 text-left font-normal">
                  {/* The prefix alone is the text (copied or selected, it is what `keys revoke` takes); the ellipsis is decoration. */}
                  <code className="select-all font-mono text-xs" data-testid="key-prefix">
                    {k.prefix}
                  </code>
                  <span aria-hidden className="select-none text-muted-foreground">
                    …
                  </span>
                </th>
                <td className="px-3 py-2">
                  <Badge tone={k.scope === "write" ? "info" : "neutral"}>{k.scope}</Badge>
                </td>
                <td className="px-3 py-2 font-medium">
                  {k.source ?? <span className="font-normal text-muted-foreground">all sources</span>}
                </td>
                <td className="max-w-48 truncate px-3 py-2" title={k.label ?? undefined}>
                  {k.label ?? <span className="text-muted-foreground">—</span>}
                </td>
                <td className="whitespace-nowrap px-3 py-2 text-muted-foreground">
                  <When iso={k.createdAt} />
                </td>
                <td className="whitespace-nowrap px-3 py-2 text-muted-foreground" data-col="last-used">
                  {k.lastUsedAt ? <When iso={k.lastUsedAt} /> : "never"}
                </td>
                <td className="whitespace-nowrap px-3 py-2">
                  {k.revokedAt ? (
                    <Badge tone="danger" title={`Revoked ${formatDateTime(k.revokedAt)}`}>
                      revoked
                    </Badge>
                  ) : (
                    <Badge tone="success">active</Badge>
                  )}
                </td>
                <td className="px-3 py-2 text-right">
                  {!k.revokedAt && (
                    <Button variant="outline" size="sm" onClick={() => setAsked(k)} aria-label={`Revoke key ${k.prefix}`}>
                      Revoke
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableContainer>
      <p className="sr-only" aria-live="polite">
        {announcement}
      </p>
      <ConfirmDialog
        open={asked !== null}
        title={<>Revoke key {asked?.prefix}…?</>}
        description={
          <>
            {asked?.scope === "write" ? `Clients sending events for “${asked.source}” with it` : "Clients reading with it"} are refused
            (401) within seconds, on every instance. This cannot be undone: a client that still needs access needs a new key.
          </>
        }
        confirmLabel="Revoke key"
        pending={revoke.isPending}
        error={revoke.error ? toIngestClientError(revoke.error).message : undefined}
        onConfirm={() => void confirm()}
        onCancel={close}
      />
    </>
  );
}

function When({ iso }: { iso: string }) {
  return <time dateTime={iso}>{formatDateTime(iso)}</time>;
}
