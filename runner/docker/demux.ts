/**
 * Docker multiplexes stdout and stderr of a non-TTY container into one stream of frames:
 * an 8-byte header (stream type, 3 zero bytes, big-endian payload length) then the payload.
 * Frames may be split across chunks, so the demuxer keeps the unfinished tail.
 */
import { StringDecoder } from "node:string_decoder";
import type { OutputStreamName } from "./engine.js";

const HEADER_BYTES = 8;

export function createDemuxer(onFrame: (stream: OutputStreamName, payload: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= HEADER_BYTES) {
      const size = pending.readUInt32BE(4);
      if (pending.length < HEADER_BYTES + size) break;
      const type = pending[0];
      const payload = pending.subarray(HEADER_BYTES, HEADER_BYTES + size);
      onFrame(type === 2 ? "stderr" : "stdout", payload);
      pending = pending.subarray(HEADER_BYTES + size);
    }
  };
}

/** Splits a byte stream into text lines; `flush` emits a trailing line without newline. */
export function createLineSplitter(onLine: (line: string) => void): { push(chunk: Buffer | string): void; flush(): void } {
  let tail = "";
  const decoder = new StringDecoder("utf8");
  return {
    push(chunk) {
      const text = tail + (typeof chunk === "string" ? chunk : decoder.write(chunk));
      const lines = text.split("\n");
      tail = lines.pop() ?? "";
      for (const line of lines) onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
    },
    flush() {
      tail += decoder.end();
      if (tail.length > 0) onLine(tail);
      tail = "";
    },
  };
}
