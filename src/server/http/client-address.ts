// The client address a per-address limit counts by (the connection cap, the failed-credential
// throttle): the TCP peer's address, never a header. Behind a proxy every connection comes from
// the proxy, so these limits see one client: the proxy must limit per client itself (README,
// Security). An IPv4 address counts alone; an IPv6 address by its /64, the block one host or
// home network is given, so a client cannot step around a limit by using more of its own block.
import { isIPv4, isIPv6 } from "node:net";
import type { Socket } from "node:net";

/** The key of a connection's client: `203.0.113.7`, or `2001:db8:1:2::/64`; `unknown` when the socket has none (closed). */
export function clientAddressOf(socket: Pick<Socket, "remoteAddress">): string {
  return addressKey(socket.remoteAddress);
}

export function addressKey(address: string | undefined): string {
  if (!address) return "unknown";
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return address;
  return `${ipv6Groups(address).slice(0, 4).join(":")}::/64`;
}

/** The eight groups of an IPv6 address, `::` expanded, without leading zeros. */
function ipv6Groups(address: string): string[] {
  const [head = "", tail] = address.split("%")[0]!.toLowerCase().split("::") as [string, string | undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  return groups.map((g) => g.replace(/^0+(?=.)/, ""));
}
