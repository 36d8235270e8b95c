import { describe, expect, it } from "vitest";
import { createDemuxer, createLineSplitter } from "./demux.js";

function frame(type: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe("createDemuxer", () => {
  it("separates stdout and stderr frames even when split across chunks", () => {
    const seen: string[] = [];
    const push = createDemuxer((stream, payload) => seen.push(`${stream}:${payload.toString()}`));
    const all = Buffer.concat([frame(1, "hello\n"), frame(2, "oops\n"), frame(1, "bye")]);
    for (let i = 0; i < all.length; i += 3) push(all.subarray(i, i + 3));
    expect(seen).toEqual(["stdout:hello\n", "stderr:oops\n", "stdout:bye"]);
  });
});

describe("createLineSplitter", () => {
  it("emits complete lines, strips CR and flushes the tail", () => {
    const lines: string[] = [];
    const splitter = createLineSplitter((line) => lines.push(line));
    splitter.push("a\r\nb");
    splitter.push("c\nd");
    expect(lines).toEqual(["a", "bc"]);
    splitter.flush();
    expect(lines).toEqual(["a", "bc", "d"]);
  });

  it("keeps multi-byte characters split across chunks intact", () => {
    const lines: string[] = [];
    const splitter = createLineSplitter((line) => lines.push(line));
    const bytes = Buffer.from("grüße\n");
    splitter.push(bytes.subarray(0, 3));
    splitter.push(bytes.subarray(3));
    expect(lines).toEqual(["grüße"]);
  });
});
