// The AppError a tRPC procedure call failed with, through the same mapping the HTTP
// responses use; fails the test when the call succeeded.
import { TRPCError } from "@trpc/server";
import { expect } from "vitest";
import { appErrorOf } from "../../src/server/api/trpc";
import type { AppError } from "../../src/server/errors";

export async function failure(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => expect.fail("expected the call to fail"),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TRPCError);
  return appErrorOf(err as TRPCError);
}
