// The console opens on the submit page.
import { redirect } from "next/navigation";

export default function HomePage() {
  redirect("/console/submit");
}
