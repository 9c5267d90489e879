// A TCP proxy written on node:net that sits between the app instances and PostgreSQL, so
// the nemesis can break the network without touching either side:
// - setDelay(ms): every chunk, both directions, is held `ms` before it is forwarded (order
//   kept), which pushes queries past their timeouts;
// - cutAll(): resets every open connection at once (the app sees ECONNRESET mid-query);
// - setRefusing(true): a partition: new connections are accepted and reset at once;
// - faultWhen(rule): a one-shot, protocol-aware fault at an exact point of the write path.
//   The PostgreSQL wire protocol carries SQL text in the clear, so a rule names a substring
//   of the client's traffic; then the connection is cut before that message reaches the
//   server ("drop-request"), or after the server has executed it but before its answer
//   reaches the app ("drop-reply": e.g. the COMMIT of a processing transaction: committed,
//   never acknowledged), or the answer is held back for `holdMs` ("hold-reply": the app's
//   query timeout fires while the server still holds the transaction open).
// Listens on 127.0.0.1 only.
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { once } from "node:events";

export interface FaultRule {
  /** The rule only arms on a connection once this has gone by on it. */
  after?: RegExp;
  /** What fires the rule (client → server direction, SQL text as sent). */
  on: RegExp;
  /**
   * "drop-request": never deliver the message, cut the connection; "drop-reply": deliver it,
   * then cut the connection when the answer comes; "hold-reply": deliver it and hold every
   * answer on this connection for `holdMs`.
   */
  action: "drop-request" | "drop-reply" | "hold-reply";
  holdMs?: number;
}

interface Pair {
  client: Socket;
  server: Socket;
  /** Tail of the client's stream, so a pattern split across chunks still matches. */
  tail: string;
  armed: boolean;
  swallowReply: boolean;
  holdRepliesUntil: number;
}

interface PendingRule extends FaultRule {
  fired: () => void;
}

export interface ProxyStats {
  connections: number;
  cuts: number;
  refused: number;
}

/** How much of a connection's previous traffic a pattern may straddle. */
const matchWindow = 256;

export class TcpProxy {
  readonly port: number;
  private readonly server: Server;
  private readonly pairs = new Set<Pair>();
  private delayMs = 0;
  private refusing = false;
  private rule: PendingRule | undefined;
  readonly stats: ProxyStats = { connections: 0, cuts: 0, refused: 0 };

  private constructor(server: Server, port: number, targetPort: number) {
    this.server = server;
    this.port = port;
    server.on("connection", (client) => this.accept(client, targetPort));
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const server = createServer({ noDelay: true });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const addr = server.address();
    if (typeof addr !== "object" || !addr) throw new Error("proxy has no address");
    return new TcpProxy(server, addr.port, targetPort);
  }

  /** Adds `ms` of latency to every chunk in both directions (0 removes it). */
  setDelay(ms: number): void {
    this.delayMs = ms;
  }

  /** While true, every new connection is reset as soon as it is accepted. */
  setRefusing(refusing: boolean): void {
    this.refusing = refusing;
  }

  /** Resets every open connection; returns how many were cut. */
  cutAll(): number {
    const n = this.pairs.size;
    for (const pair of [...this.pairs]) this.cut(pair);
    return n;
  }

  /** Arms a one-shot fault; resolves when it fires. */
  faultWhen(rule: FaultRule): Promise<void> {
    return new Promise((resolve) => {
      this.rule = { ...rule, fired: resolve };
      for (const pair of this.pairs) pair.armed = rule.after === undefined;
    });
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, targetPort: number): void {
    if (this.refusing) {
      this.stats.refused++;
      client.resetAndDestroy();
      return;
    }
    this.stats.connections++;
    client.setNoDelay(true);
    const server = createConnection({ host: "127.0.0.1", port: targetPort, noDelay: true });
    const pair: Pair = { client, server, tail: "", armed: this.rule !== undefined && this.rule.after === undefined,
      swallowReply: false,
      holdRepliesUntil: 0,
    };
    this.pairs.add(pair);
    const forget = () => {
      this.pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.on("error", forget);
    server.on("error", forget);
    client.on("close", forget);
    server.on("close", forget);

    const clientToServer = this.forwarder(server);
    const serverToClient = this.forwarder(client, () => pair.holdRepliesUntil);
    client.on("data", (chunk: Buffer) => {
      if (this.inspect(pair, chunk)) clientToServer(chunk);
    });
    server.on("data", (chunk: Buffer) => {
      if (pair.swallowReply) {
        // The server has executed the message and answered: lose the answer.
        this.cut(pair);
        return;
      }
      serverToClient(chunk);
    });
  }

  /** Returns false when the chunk must not be forwarded (the rule cut the connection). */
  private inspect(pair: Pair, chunk: Buffer): boolean {
    const rule = this.rule;
    if (!rule) return true;
    const text = pair.tail + chunk.toString("latin1");
    pair.tail = text.slice(-matchWindow);
    if (!pair.armed) {
      const arming = rule.after?.exec(text);
      if (!arming) return true;
      pair.armed = true;
      // Only text after the arming match may fire the rule.
      if (!rule.on.test(text.slice(arming.index + arming[0].length))) return true;
    } else if (!rule.on.test(text)) {
      return true;
    }
    this.rule = undefined;
    for (const p of this.pairs) p.armed = false;
    rule.fired();
    if (rule.action === "drop-request") {
      this.cut(pair);
      return false;
    }
    if (rule.action === "drop-reply") pair.swallowReply = true;
    else pair.holdRepliesUntil = Date.now() + (rule.holdMs ?? 5000);
    return true;
  }

  /** Writes chunks to `to` after the current delay (or hold), never reordering them. */
  private forwarder(to: Socket, heldUntil: () => number = () => 0): (chunk: Buffer) => void {
    let lastDue = 0;
    return (chunk) => {
      const now = Date.now();
      if (this.delayMs <= 0 && lastDue <= now && heldUntil() <= now) {
        if (!to.destroyed) to.write(chunk);
        return;
      }
      const due = Math.max(now + this.delayMs, lastDue, heldUntil());
      lastDue = due;
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
      }, due - Date.now());
    };
  }

  private cut(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    this.stats.cuts++;
    pair.client.resetAndDestroy();
    pair.server.resetAndDestroy();
  }
}
