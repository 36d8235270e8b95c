import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createRedactor, createSecretStore, REDACTED, secretValuesOf } from "./index.js";

const toml = `
[sources.github]
access_token = "ghp_supersecret123" # inline comment

[destination.warehouse.credentials]
password = 'p@ss w0rd'
port = 5432
short = "on"
private_key = """
-----BEGIN KEY-----
abcdef
-----END KEY-----"""
hosts = ["db-one.internal", "db-two.internal"]
`;

describe("secret store", () => {
  it("stores files owner-only and lists, reads and removes them", () => {
    const store = createSecretStore(join(mkdtempSync(join(tmpdir(), "sluice-secrets-")), "secrets"));
    const entry = store.set("github_ws", "prod", toml);
    expect(statSync(entry.path).mode & 0o777).toBe(0o600);
    expect(statSync(join(entry.path, "..")).mode & 0o777).toBe(0o700);
    store.set("github_ws", "access", "a = 'bbbb'");
    expect(store.list().map((e) => `${e.workspace}/${e.profile}`)).toEqual(["github_ws/access", "github_ws/prod"]);
    expect(store.read("github_ws", "prod")).toBe(toml);
    expect(store.has("other", "prod")).toBe(false);
    expect(store.remove("github_ws", "access")).toBe(true);
    expect(store.remove("github_ws", "access")).toBe(false);
    expect(store.list("github_ws").map((e) => e.profile)).toEqual(["prod"]);
  });

  it("rejects names that would escape the store", () => {
    const store = createSecretStore(mkdtempSync(join(tmpdir(), "sluice-secrets-")));
    expect(() => store.set("../x", "prod", "")).toThrow(/Invalid workspace name/);
    expect(() => store.set("ws", "prod/../../x", "")).toThrow(/Invalid profile name/);
  });
});

describe("redaction", () => {
  it("finds string values of every TOML form", () => {
    expect(secretValuesOf(toml).sort()).toEqual(
      ["ghp_supersecret123", "p@ss w0rd", "-----BEGIN KEY-----\nabcdef\n-----END KEY-----", "db-one.internal", "db-two.internal"].sort(),
    );
  });

  it("masks every occurrence, longest value first", () => {
    const redact = createRedactor(["abcd", "abcdef12", "on"]);
    expect(redact("token abcdef12 and abcd, on")).toBe(`token ${REDACTED} and ${REDACTED}, on`);
    expect(createRedactor([])("unchanged")).toBe("unchanged");
    expect(createRedactor(["-----BEGIN KEY-----\nabcdef"])("line: abcdef")).toBe(`line: ${REDACTED}`);
  });
});
