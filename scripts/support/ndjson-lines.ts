// The lines of an NDJSON stream with their exact bytes (terminator included), so an import can
// record how far into the file it got (a byte offset) and hash exactly what it has passed.
// Line numbers start at `firstLine`, for an import resumed in the middle of a file.
import { StringDecoder } from "node:string_decoder";

export interface SourceLine {
  /** 1-based line number in the file. */
  number: number;
  /** The line as text, without its line break (and without a `\r` before it). */
  text: string;
  /** The line's bytes in the file, its line break included. */
  bytes: Buffer;
}

export async function* ndjsonLines(stream: AsyncIterable<Buffer | string>, firstLine = 1): AsyncGenerator<SourceLine> {
  let number = firstLine;
  let pending: Buffer[] = [];
  const line = (parts: Buffer[]): SourceLine => {
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const decoder = new StringDecoder("utf8");
    const text = decoder.write(bytes) + decoder.end();
    return { number: number++, text: text.replace(/\r?\n$/, ""), bytes };
  };
  for await (const chunk of stream) {
    let buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a)) {
      pending.push(buf.subarray(0, nl + 1));
      yield line(pending);
      pending = [];
      buf = buf.subarray(nl + 1);
    }
    if (buf.length > 0) pending.push(buf);
  }
  if (pending.length > 0) yield line(pending);
}
