// The create-key form refuses exactly what keys.create refuses: it applies the same schema.
import { describe, expect, it } from "vitest";
import { checkKeyForm } from "../src/lib/key-form";

describe("checkKeyForm", () => {
  it("a write key needs its source; blank optional fields are left out", () => {
    expect(checkKeyForm({ scope: "write", source: "  ", label: "" })).toEqual({
      errors: { source: "a write key needs the source it writes" },
    });
    expect(checkKeyForm({ scope: "write", source: " shop ", label: "" })).toEqual({ input: { scope: "write", source: "shop" } });
  });

  it("a read key may name one source or none", () => {
    expect(checkKeyForm({ scope: "read", source: "", label: " dashboards " })).toEqual({ input: { scope: "read", label: "dashboards" } });
    expect(checkKeyForm({ scope: "read", source: "shop", label: "" })).toEqual({ input: { scope: "read", source: "shop" } });
  });

  it("names each field at fault with the schema's message", () => {
    expect(checkKeyForm({ scope: "read", source: "s".repeat(201), label: "l".repeat(201) })).toEqual({
      errors: { source: "source must be at most 200 characters", label: "label must be at most 200 characters" },
    });
  });
});
