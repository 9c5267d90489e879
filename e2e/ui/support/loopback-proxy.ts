// An HTTP proxy on the loopback interface that delivers every request for `origin` (e.g.
// http://192.168.1.20:3000) to the same port on 127.0.0.1, plain requests and CONNECT tunnels
// (WebSockets through a proxy) alike, and refuses any other destination. A browser told to use
// it opens a page *from* that origin, so the server sees that Origin and Host, while no packet
// goes to any address but loopback.
import { createServer, request, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";

export interface LoopbackProxy {
  url: string;
  close(): Promise<void>;
}

export async function startLoopbackProxy(origin: string): Promise<LoopbackProxy> {
  const { host, port } = new URL(origin);
  const server: Server = createServer((req, res) => {
    const target = new URL(req.url ?? "/", origin);
    if (target.host !== host) {
      res.writeHead(403).end(`this proxy only reaches ${origin}`);
      return;
    }
    const upstream = request({ host: "127.0.0.1", port: Number(port), method: req.method, path: `${target.pathname}${target.search}`, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  const tunnels = new Set<{ destroy(): void }>();
  server.on("connect", (req, socket, head) => {
    if (req.url !== host) {
      socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    const upstream = connect(Number(port), "127.0.0.1", () => {
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    tunnels.add(socket).add(upstream);
    const end = () => (upstream.destroy(), socket.destroy());
    upstream.on("error", end);
    socket.on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => (tunnels.forEach((t) => t.destroy()), server.closeAllConnections(), server.close(() => resolve()))),
  };
}
