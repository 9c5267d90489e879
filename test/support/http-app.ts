// The app's HTTP server, in process, on a free port: real HTTP requests against the same
// server `npm start` runs, without Next (pages are covered by e2e/).
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import type { ServerContext } from "../../src/server/context";
import { createAppServer } from "../../src/server/http/server";

export interface HttpApp {
  url: string;
  close(): Promise<void>;
}

export async function startHttpApp(ctx: ServerContext): Promise<HttpApp> {
  const server: Server = createAppServer(ctx);
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
