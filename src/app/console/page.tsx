// The console's pages live under /console so they can never collide with an API route
// (GET /aggregates is the REST API, answered before Next sees the request).
import { redirect } from "next/navigation";

export default function ConsolePage() {
  redirect("/console/submit");
}
