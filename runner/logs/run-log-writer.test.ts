import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLogStore, createRunLogWriter } from "./index.js";

describe("run log writer", () => {
  it("splits chunks into lines, masks secrets and remembers the last lines", () => {
    const store = createLogStore({ dir: mkdtempSync(join(tmpdir(), "sluice-logw-")) });
    const writer = createRunLogWriter(store, "r", { redact: (text) => text.replaceAll("s3cr3t", "***"), keepLast: 2 });
    writer.push("stdout", "hel");
    writer.push("stdout", Buffer.from("lo\ntoken=s3cr3t\r\npart"));
    writer.push("stderr", "err\n");
    writer.system("SIGTERM sent");
    writer.flush();
    expect(store.read("r").lines.map((line) => `${line.stream}:${line.text}`)).toEqual([
      "stdout:hello",
      "stdout:token=***",
      "stderr:err",
      "system:SIGTERM sent",
      "stdout:part",
    ]);
    expect(writer.lastLines()).toEqual(["SIGTERM sent", "part"]);
  });
});
