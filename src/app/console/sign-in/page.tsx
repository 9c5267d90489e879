// Sign-in: the one console page served without a session. The server sends every other
// console page here when access control is on, with the page asked for in `?next=`.
import type { Metadata } from "next";
import { SignInView } from "@/components/auth/sign-in-view";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { next } = await searchParams;
  return <SignInView next={typeof next === "string" ? next : undefined} />;
}
