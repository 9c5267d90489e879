// Next serves the pages only; the API is answered by the custom server (src/server/main.ts).
//
// allowedDevOrigins: in development Next refuses its own resources (the hot-reload socket, dev
// endpoints) to a page opened from an origin other than localhost, and the console then stays
// on "Loading…". The server passes the host names it answers at (HOST; every address of the
// machine for 0.0.0.0 or ::, src/server/http/served-hosts.ts) in INGEST_DEV_ORIGINS before it
// starts Next: it is the server's message to this file, not a setting (HOST is).
const devOrigins = (process.env.INGEST_DEV_ORIGINS ?? "").split(",").filter(Boolean);

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  typescript: { ignoreBuildErrors: false },
  ...(devOrigins.length > 0 ? { allowedDevOrigins: devOrigins } : {}),
};

export default nextConfig;
