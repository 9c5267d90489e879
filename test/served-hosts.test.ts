// The host names a server on HOST answers at: the origins Next's development server accepts
// (allowedDevOrigins) and the URLs of the start banner. A wildcard HOST takes the machine's
// addresses (0.0.0.0: IPv4 ones; ::, all), IPv6 in brackets, link-local IPv6 left out.
import type { NetworkInterfaceInfo } from "node:os";
import { describe, expect, it } from "vitest";
import { servedHosts, servedUrls } from "../src/server/http/served-hosts";

const v4 = (address: string, internal = false): NetworkInterfaceInfo => ({ address, family: "IPv4", internal, netmask: "255.0.0.0", mac: "00:00:00:00:00:00", cidr: null });
const v6 = (address: string, internal = false): NetworkInterfaceInfo => ({ address, family: "IPv6", internal, netmask: "ffff::", mac: "00:00:00:00:00:00", cidr: null, scopeid: 0 });
const machine = { lo: [v4("127.0.0.1", true), v6("::1", true)], eth0: [v4("192.168.1.20"), v6("fe80::1c2:3ff:fe4d:5e6f"), v6("2001:DB8::20")], wlan0: undefined };

describe("servedHosts", () => {
  it.each([
    ["0.0.0.0", ["localhost", "127.0.0.1", "192.168.1.20"]],
    ["::", ["localhost", "127.0.0.1", "[::1]", "192.168.1.20", "[2001:db8::20]"]],
    ["[::]", ["localhost", "127.0.0.1", "[::1]", "192.168.1.20", "[2001:db8::20]"]],
    ["127.0.0.1", ["127.0.0.1"]],
    ["192.168.1.20", ["192.168.1.20"]],
    ["::1", ["[::1]"]],
    ["localhost", ["localhost"]],
    ["Build-Box.local", ["build-box.local"]],
  ])("HOST=%s is answered at %j", (host, expected) => {
    expect(servedHosts(host, machine)).toEqual(expected);
  });

  it("reads this machine's interfaces by default: localhost and every IPv4 address for 0.0.0.0", () => {
    const hosts = servedHosts("0.0.0.0");
    expect(hosts[0]).toBe("localhost");
    expect(hosts).toContain("127.0.0.1");
  });
});

describe("servedUrls (the start banner)", () => {
  it("shows localhost for the loopback addresses, then the others; a single host as it is", () => {
    expect(servedUrls(servedHosts("::", machine), 3000)).toEqual(["http://localhost:3000", "http://192.168.1.20:3000", "http://[2001:db8::20]:3000"]);
    expect(servedUrls(servedHosts("127.0.0.1", machine), 8080)).toEqual(["http://127.0.0.1:8080"]);
  });
});
