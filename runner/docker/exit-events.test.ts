import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createExitEvents, parseDieEvent } from "./exit-events.js";

const die = (id: string, exitCode: number) => JSON.stringify({ Type: "container", Action: "die", Actor: { ID: id, Attributes: { exitCode: String(exitCode), name: "x" } } });

describe("parseDieEvent", () => {
  it("reads the container and exit code of a die event and ignores other events and malformed lines", () => {
    expect(parseDieEvent(die("abc", 137))).toEqual({ containerId: "abc", exitCode: 137 });
    expect(parseDieEvent(JSON.stringify({ Type: "container", Action: "start", Actor: { ID: "abc", Attributes: {} } }))).toBeUndefined();
    expect(parseDieEvent(JSON.stringify({ Type: "network", Action: "die", Actor: { ID: "n", Attributes: { exitCode: "0" } } }))).toBeUndefined();
    expect(parseDieEvent(JSON.stringify({ Type: "container", Action: "die", Actor: { ID: "abc", Attributes: {} } }))).toBeUndefined();
    expect(parseDieEvent("{not json")).toBeUndefined();
  });
});

describe("createExitEvents", () => {
  function streams() {
    const opened: PassThrough[] = [];
    const sinces: number[] = [];
    const events = createExitEvents(
      async (since) => {
        sinces.push(since);
        const stream = new PassThrough();
        opened.push(stream);
        return stream;
      },
      () => 1_700_000_000_500,
    );
    return { events, opened, sinces };
  }
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it("opens one stream replaying 2 s back for the first waiter, delivers an event split across chunks, and closes it when nobody waits", async () => {
    const { events, opened, sinces } = streams();
    const first = events.exitOf("a");
    const second = events.exitOf("b");
    await settle();
    expect(opened).toHaveLength(1);
    expect(sinces).toEqual([1_699_999_998]);
    const line = `${die("a", 3)}\n${die("b", 0)}\n`;
    opened[0]!.write(line.slice(0, 17));
    opened[0]!.write(line.slice(17));
    expect(await first.exited).toBe(3);
    expect(await second.exited).toBe(0);
    expect(opened[0]!.destroyed).toBe(true);
  });

  it("answers a waiter that comes after its container's event from what it saw, and closes on the last cancel", async () => {
    const { events, opened } = streams();
    const waiting = events.exitOf("a");
    await settle();
    opened[0]!.write(`${die("late", 9)}\n`);
    await settle();
    expect(await events.exitOf("late").exited).toBe(9);
    expect(opened[0]!.destroyed).toBe(false);
    waiting.cancel();
    expect(opened[0]!.destroyed).toBe(true);
  });
});
