// App instances for the fault suite: real `src/server/main.ts` processes (API only,
// production mode) on fixed ports, so an instance killed with SIGKILL comes back at the
// same address and clients keep their list. Keeps every incarnation's output so the suite
// can assert no instance ever crashed on its own or logged an unhandled rejection.
// Access control is on, as in production: clients send write keys created by the CLI
// (keys-cli.ts), and the operator token below is this run's own.
import { freePort, startApp, type AppProcess } from "../../support/app-process";
import { newAdminToken } from "./keys-cli";

/** Timeouts the suite runs the apps with (also used for the documented 503 bound). */
export const appTimeouts = {
  DB_POOL_SIZE: 5,
  DB_CONNECT_TIMEOUT_MS: 1000,
  DB_QUERY_TIMEOUT_MS: 2000,
  DB_TRANSACTION_TIMEOUT_MS: 4000,
};

/** The operator token (ADMIN_TOKEN) every instance of this run shares. */
export const adminToken = newAdminToken();

export function appEnv(databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    NODE_ENV: "production",
    AUTH_REQUIRED: "true",
    ADMIN_TOKEN: adminToken,
    // RATE_LIMIT_EVENTS_PER_SECOND / RATE_LIMIT_BURST keep their production defaults (1000/s
    // and 5000 per key and instance): each client has its own key and one request in flight
    // at a time (tens of requests per second), so the limit never throttles this traffic,
    // and the suite asserts that no 429 came back.
    SERVE_PAGES: "false",
    LOG_LEVEL: "warn",
    RECOVERY_DELAY_MS: "1500",
    RECOVERY_INTERVAL_MS: "250",
    RECOVERY_MAX_ATTEMPTS: "10",
    ...Object.fromEntries(Object.entries(appTimeouts).map(([k, v]) => [k, String(v)])),
    ...extra,
  };
}

/** Every app process still running when the test process exits is killed with it. */
const liveProcesses = new Set<AppProcess>();
process.on("exit", () => {
  for (const app of liveProcesses) app.child.kill("SIGKILL");
});

export class AppInstance {
  readonly url: string;
  private current: AppProcess | undefined;
  private readonly finished: { output: string; exit: string; expected: boolean }[] = [];
  private killing = false;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  get process(): AppProcess | undefined {
    return this.current;
  }

  get running(): boolean {
    return this.current !== undefined && this.current.child.exitCode === null && this.current.child.signalCode === null;
  }

  /** Spawns the process and waits until /api/ready answers 200. */
  async start(readyTimeoutMs = 90_000): Promise<void> {
    const app = await startApp(this.env, { port: this.port, readyTimeoutMs });
    this.current = app;
    liveProcesses.add(app);
    app.child.once("exit", (code, signal) => {
      liveProcesses.delete(app);
      this.finished.push({ output: app.output(), exit: signal ?? String(code), expected: this.killing });
      this.killing = false;
      if (this.current === app) this.current = undefined;
    });
  }

  /** SIGKILL: no shutdown hook runs, in-flight requests die with the process. */
  async kill(): Promise<void> {
    const app = this.current;
    if (!app || !this.running) return;
    this.killing = true;
    await app.stop("SIGKILL");
  }

  async stop(): Promise<void> {
    const app = this.current;
    if (!app || !this.running) return;
    this.killing = true;
    await app.stop("SIGTERM");
  }

  /** Output of every incarnation, oldest first. */
  outputs(): string[] {
    return [...this.finished.map((f) => f.output), ...(this.current ? [this.current.output()] : [])];
  }

  /** Problems to fail on: an exit we did not cause, an unhandled rejection logged. */
  problems(): string[] {
    const out: string[] = [];
    for (const f of this.finished) if (!f.expected) out.push(`${this.name} exited on its own (${f.exit}):\n${tail(f.output)}`);
    for (const o of this.outputs()) if (/unhandled rejection|uncaught exception/i.test(o)) out.push(`${this.name} logged: ${firstMatch(o)}`);
    return out;
  }
}

export async function createFleet(count: number, env: Record<string, string>): Promise<AppInstance[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  return ports.map((port, i) => new AppInstance(`app-${i + 1}`, port, env));
}

function tail(s: string, lines = 30): string {
  return s.split("\n").slice(-lines).join("\n");
}

function firstMatch(s: string): string {
  return s.split("\n").find((l) => /unhandled rejection|uncaught exception/i.test(l)) ?? "";
}
