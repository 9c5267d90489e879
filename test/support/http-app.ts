// The app's HTTP server, in process, on a free port: real HTTP requests against the same
// server `npm start` runs, without Next (pages are covered by e2e/).
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import type { ServerContext } from "../../src/server/context";
import { createAppServer, type FallbackHandler } from "../../src/server/http/server";

export interface HttpApp {
  url: string;
  close(): Promise<void>;
}

/** `pages` stands in for Next's handler when a test needs what the server puts in front of the pages. */
export async function startHttpApp(ctx: ServerContext, pages?: FallbackHandler): Promise<HttpApp> {
  const server: Server = createAppServer(ctx, pages);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
