// Keys: the operator creates, lists and revokes the API keys clients use.
import type { Metadata } from "next";
import { KeysView } from "@/components/keys/keys-view";

export const metadata: Metadata = { title: "Keys" };

export default function KeysPage() {
  return <KeysView />;
}
