// Class-name merging for the ui primitives (shadcn convention): later Tailwind classes
// override earlier ones, so callers can restyle a primitive with `className`.
import { clsx, type ClassValue } from "clsx";
import { twMerge } from "tailwind-merge";

export function cn(...inputs: ClassValue[]): string {
  return twMerge(clsx(inputs));
}
