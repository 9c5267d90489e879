// The typed tRPC hooks for the console. Only the router's TYPE crosses into the browser
// bundle (`import type`), never server code.
import { createTRPCReact } from "@trpc/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../server/api/root";

export const trpc = createTRPCReact<AppRouter>();

/** What each procedure returns, as the client receives it. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
