"use client";
// The sign-in page: one password field for the operator token (the server's ADMIN_TOKEN).
// On success the browser loads the page it was sent here from (`next`, if it is a console
// page: see safeNextPath); a wrong token is said inline and announced. With access control
// off there is nothing to sign in to, and the page says so.
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { safeNextPath, signIn } from "@/lib/console-session";
import { useConsoleSession } from "./use-console-session";

export function SignInView({ next }: { next?: string }) {
  const destination = safeNextPath(next);
  const session = useConsoleSession();
  const state = session.data;

  let body;
  if (!state && !session.error) {
    body = <p className="text-sm text-muted-foreground">Checking access…</p>;
  } else if (state && !state.authRequired) {
    body = (
      <div className="grid gap-4" data-testid="access-control-off">
        <p className="text-sm">
          Access control is off on this server (<code>AUTH_REQUIRED=false</code>): the console and the API are open to anyone who can reach
          them, and there is nothing to sign in to.
        </p>
        <Button asChild className="justify-self-start">
          <Link href={destination}>Open the console</Link>
        </Button>
      </div>
    );
  } else if (state?.signedIn) {
    body = (
      <div className="grid gap-4">
        <p className="text-sm">You are signed in.</p>
        <Button asChild className="justify-self-start">
          <Link href={destination}>Continue to the console</Link>
        </Button>
      </div>
    );
  } else {
    body = <TokenForm destination={destination} />;
  }

  return (
    <div className="mx-auto grid max-w-md gap-6 pt-6">
      <h1 className="text-2xl font-semibold tracking-tight">Sign in</h1>
      <Card>
        <CardHeader>
          <CardTitle>Operator</CardTitle>
          <CardDescription>
            The console manages keys and sees every source: it is for the operator who holds the server&apos;s token.
          </CardDescription>
        </CardHeader>
        <CardContent>
          {session.error && !state && (
            <p role="alert" className="mb-4 text-sm text-danger">
              Could not ask the server whether access control is on: {session.error.message}
            </p>
          )}
          {body}
        </CardContent>
      </Card>
    </div>
  );
}

function TokenForm({ destination }: { destination: string }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [pending, setPending] = useState(false);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (token === "") {
      setError("Enter the operator token");
      return;
    }
    setPending(true);
    setError(undefined);
    const result = await signIn(token);
    if (result.ok) {
      // A full load, not a client-side navigation: the page is rendered with the new cookie
      // and nothing cached while signed out is reused.
      window.location.assign(destination);
      return;
    }
    setPending(false);
    setError(result.message);
  };

  return (
    <form className="grid gap-4" onSubmit={(e) => void onSubmit(e)} noValidate aria-label="Sign in">
      <Field
        id="token"
        label="Operator token"
        hint={<>The server&apos;s ADMIN_TOKEN. The session lasts 12 hours.</>}
        error={error}
        announceError
      >
        <Input
          type="password"
          name="token"
          autoComplete="current-password"
          value={token}
          onChange={(e) => {
            setToken(e.target.value);
            setError(undefined);
          }}
          // The page exists for this one field.
          autoFocus
          required
        />
      </Field>
      <Button type="submit" className="justify-self-start" disabled={pending}>
        {pending ? "Signing in…" : "Sign in"}
      </Button>
    </form>
  );
}
