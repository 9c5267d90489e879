// With access control off, anyone who can reach the server may use it, and so may any web
// page a developer opens: DNS rebinding points the page's own name (`evil.example`) at
// 127.0.0.1, and the browser then lets that page read this server's answers. Such requests
// carry the attacker's name in `Host`, so with access control off the server answers only
// the names it serves: localhost (and *.localhost), the loopback addresses, this machine's
// name, the address(es) it is bound to (HOST; with 0.0.0.0 or ::, every interface's address),
// and ALLOWED_HOSTS; any other Host is refused 403 HOST_NOT_ALLOWED before any route runs.
// With access control on, credentials protect every route and a Host is not checked.
import type { IncomingMessage } from "node:http";
import { hostname } from "node:os";
import type { Config } from "../config";
import { AppError } from "../errors";
import { servedHosts } from "./served-hosts";

/** The host names (lower case, IPv6 without brackets) a server with this configuration serves. */
export function servedHostNames(config: Pick<Config, "HOST" | "ALLOWED_HOSTS">): Set<string> {
  // The addresses it listens on are the served-hosts rule (the banner and Next's dev origins use it too).
  const names = new Set(["localhost", "127.0.0.1", "::1", hostname().toLowerCase()]);
  for (const name of [...servedHosts(config.HOST.toLowerCase()), ...config.ALLOWED_HOSTS]) names.add(name.replace(/^\[(.*)\]$/, "$1").split("%")[0]!);
  return names;
}

/** The name in a Host header, without its port or IPv6 brackets, lower case; undefined when absent. */
export function hostNameOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = header.trim().toLowerCase();
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(value);
  if (bracketed) return bracketed[1];
  return value.replace(/:\d*$/, "").replace(/\.$/, "");
}

const allowed = new WeakMap<Config, Set<string>>();

/** Throws 403 HOST_NOT_ALLOWED when access control is off and `Host` names a server this is not. */
export function checkHost(req: IncomingMessage, config: Config): void {
  if (config.AUTH_REQUIRED || config.ALLOWED_HOSTS.includes("*")) return;
  // HTTP/1.0 may leave Host out; a browser never does, so rebinding cannot.
  const name = hostNameOf(req.headers.host);
  if (name === undefined) return;
  let names = allowed.get(config);
  if (!names) allowed.set(config, (names = servedHostNames(config)));
  if (names.has(name) || name.endsWith(".localhost")) return;
  const shown = JSON.stringify((req.headers.host ?? "").slice(0, 200));
  throw new AppError(
    "HOST_NOT_ALLOWED",
    `This server does not serve the host ${shown}: with access control off (AUTH_REQUIRED=false) it answers only localhost, its own addresses and ALLOWED_HOSTS; add the name to ALLOWED_HOSTS to serve it`,
    { field: "host" },
  );
}
