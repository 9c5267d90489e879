// The host names a server listening on HOST answers at, as they appear in URLs (IPv6 in
// brackets): what the start banner prints, and what Next's development server must accept as
// the origin of its own resources (allowedDevOrigins, next.config.mjs). Next's dev server
// refuses its hot-reload socket and dev endpoints to a page opened from an origin it does not
// know (only `localhost` by default), and the console then never leaves "Loading…".
// HOST 0.0.0.0 takes every IPv4 address of the machine, :: every address (dual stack, Node's
// default); any other HOST is the one name. IPv6 link-local addresses (fe80::/10) are left out:
// a browser cannot open them without a zone, which URLs do not carry.
import { isIP } from "node:net";
import { networkInterfaces, type NetworkInterfaceInfo } from "node:os";

type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

const isWildcard = (host: string) => host === "0.0.0.0" || host === "::";

/** The URL form of an address or name: IPv6 in brackets, lower case. */
function urlHost(address: string): string {
  return isIP(address) === 6 ? `[${address.toLowerCase()}]` : address.toLowerCase();
}

/** Every host name that reaches a server listening on `host`; `localhost` first for a wildcard. */
export function servedHosts(host: string, interfaces: Interfaces = networkInterfaces()): string[] {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  if (!isWildcard(bare)) return [urlHost(bare)];
  const addresses = Object.values(interfaces)
    .flatMap((list) => list ?? [])
    .filter((a) => (bare === "::" || a.family === "IPv4") && !/^fe[89ab]/i.test(a.address))
    .map((a) => urlHost(a.address));
  return [...new Set(["localhost", ...addresses])];
}

const isLoopback = (host: string) => host === "[::1]" || /^127\./.test(host);

/**
 * The URLs the start banner shows: one per host name, where `localhost` stands for the
 * loopback addresses (they are still served, and accepted as origins).
 */
export function servedUrls(hosts: string[], port: number): string[] {
  const shown = hosts.length > 1 ? hosts.filter((h) => !isLoopback(h)) : hosts;
  return shown.map((h) => `http://${h}:${port}`);
}
