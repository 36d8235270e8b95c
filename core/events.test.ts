import { describe, expect, it } from "vitest";
import { TypedEvents } from "./events.js";

describe("TypedEvents", () => {
  it("keeps delivering to other listeners when one throws", () => {
    const errors: unknown[] = [];
    const events = new TypedEvents<{ ping: number }>((_event, error) => errors.push(error));
    const got: number[] = [];
    events.on("ping", () => {
      throw new Error("boom");
    });
    events.on("ping", (n) => got.push(n));
    events.emit("ping", 7);
    expect(got).toEqual([7]);
    expect(errors).toHaveLength(1);
  });

  it("waitFor resolves on the first matching payload", async () => {
    const events = new TypedEvents<{ ping: number }>();
    const waiting = events.waitFor("ping", (n) => n > 1);
    events.emit("ping", 1);
    events.emit("ping", 2);
    await expect(waiting).resolves.toBe(2);
  });
});
