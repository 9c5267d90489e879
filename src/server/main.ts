// Process entry (npm run dev; npm start runs its compiled form, dist/server/main.js): an
// unsupported Node.js stops here with one line, exit 1, before any dependency is loaded
// (the service is imported only then, and the build keeps it in a chunk of its own).
import { unsupportedNode } from "./node-version";

const problem = unsupportedNode();
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
await import("./service");
