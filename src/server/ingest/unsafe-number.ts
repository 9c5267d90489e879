// A number literal from a request body that a 64-bit float cannot hold exactly (more
// significant digits than a float keeps, beyond ±1.8e308, or so small it would become 0).
// The write path refuses the event that carries one (422 naming the field) instead of
// counting or deduplicating a value the client did not send. In a stored rejected raw
// record it is kept as a string holding the literal exactly as sent.
export class UnsafeNumber {
  constructor(readonly literal: string) {}

  /** What a float would have made of it: why it is refused. */
  describe(): string {
    const n = Number(this.literal);
    if (!Number.isFinite(n)) return `the number ${this.literal} is beyond the range of a 64-bit float (±1.8e308)`;
    if (n === 0) return `the number ${this.literal} is too small for a 64-bit float (it would be read as 0)`;
    return `the number ${this.literal} has more digits than a 64-bit float holds (it would be read as ${String(n)}); send it as a string`;
  }

  toJSON(): string {
    return this.literal;
  }
}
