// Connections per client address: one address may hold at most MAX_CONNECTIONS_PER_ADDRESS
// open connections (an IPv6 client: its /64, see client-address.ts); a further one from it is
// closed as soon as it is accepted, before a byte is read, while every other address is served.
// Without it one client holding MAX_CONNECTIONS slow connections (each within the header and
// request timeouts) locks every other client out until its connections time out. Refusals are
// logged as one summary at most every 10 s, like the backlog's.
import type { Server } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "../logger";
import { clientAddressOf } from "./client-address";

const REPORT_EVERY_MS = 10_000;

export class ConnectionCap {
  private readonly open = new Map<string, number>();
  private refusedSinceReport = 0;
  private lastReport = 0;

  constructor(
    readonly perAddress: number,
    private readonly report?: (refused: number, limit: number) => void,
  ) {}

  /** Open connections counted for `address`. */
  held(address: string): number {
    return this.open.get(address) ?? 0;
  }

  /** Counts `socket` against its address, or closes it at once when the address already holds its share. */
  admit(socket: Socket): void {
    const address = clientAddressOf(socket);
    const held = this.held(address);
    if (held >= this.perAddress) {
      socket.destroy();
      this.noteRefusal();
      return;
    }
    this.open.set(address, held + 1);
    socket.once("close", () => {
      const left = this.held(address) - 1;
      if (left > 0) this.open.set(address, left);
      else this.open.delete(address);
    });
  }

  private noteRefusal(): void {
    this.refusedSinceReport++;
    const now = Date.now();
    if (this.report && now - this.lastReport >= REPORT_EVERY_MS) {
      this.report(this.refusedSinceReport, this.perAddress);
      this.refusedSinceReport = 0;
      this.lastReport = now;
    }
  }
}

/** Caps `server`'s connections per client address; runs before the HTTP server sees the connection. */
export function capConnectionsPerAddress(server: Server, perAddress: number, log: Logger): ConnectionCap {
  const cap = new ConnectionCap(perAddress, (refused, limit) =>
    log.warn("connections refused: a client address already holds MAX_CONNECTIONS_PER_ADDRESS", { refused, limit }),
  );
  server.prependListener("connection", (socket: Socket) => cap.admit(socket));
  return cap;
}
