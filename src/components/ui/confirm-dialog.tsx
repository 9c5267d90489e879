"use client";
// A modal confirmation for a destructive action, on the native <dialog> element: the browser
// makes the rest of the page inert, traps focus, closes it on Escape and returns focus to
// the control that opened it, so no library is needed. role="alertdialog": screen readers
// read the question at once. Focus starts on Cancel, the safe choice (first in order).
import { useEffect, useId, useRef, type ReactNode } from "react";
import { Button } from "./button";

interface ConfirmDialogProps {
  open: boolean;
  title: ReactNode;
  description: ReactNode;
  confirmLabel: string;
  pending?: boolean;
  /** Why the action failed, shown in the dialog (it stays open to let the person retry). */
  error?: string;
  onConfirm: () => void;
  onCancel: () => void;
}

export function ConfirmDialog({ open, title, description, confirmLabel, pending, error, onConfirm, onCancel }: ConfirmDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);

  return (
    <dialog
      ref={ref}
      role="alertdialog"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-description`}
      // Escape: React state decides whether the dialog is open, not the browser.
      onCancel={(e) => {
        e.preventDefault();
        if (!pending) onCancel();
      }}
      className="m-auto w-full max-w-md rounded-xl border border-border bg-card p-6 text-card-foreground shadow-lg backdrop:bg-black/50"
    >
      {open && (
        <div className="grid gap-4">
          <h2 id={`${id}-title`} className="text-base font-semibold">
            {title}
          </h2>
          <div id={`${id}-description`} className="text-sm text-muted-foreground">
            {description}
          </div>
          {error && (
            <p role="alert" className="text-sm font-medium text-danger">
              {error}
            </p>
          )}
          <div className="flex justify-end gap-2">
            {/* First in order, so showModal() focuses it. */}
            <Button variant="outline" onClick={onCancel} disabled={pending}>
              Cancel
            </Button>
            <Button variant="destructive" onClick={onConfirm} disabled={pending}>
              {pending ? "Working…" : confirmLabel}
            </Button>
          </div>
        </div>
      )}
    </dialog>
  );
}
