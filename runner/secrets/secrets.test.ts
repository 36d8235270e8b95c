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

describe("secret values in every TOML form", () => {
  it("finds strings in multi-line arrays, nested and inline tables, array tables and all four string kinds", () => {
    const doc = [
      'basic = "basic-secret"',
      "literal = 'literal-secret'",
      'multi = """',
      "multi-line-secret",
      '"""',
      "multi_literal = '''",
      "literal-multi-secret",
      "'''",
      "hosts = [",
      '  "array-secret-one",',
      "  # a comment inside the array",
      "  'array-secret-two',",
      "]",
      "[deep.nested.table]",
      'token = "nested-secret"',
      "inline = { user = 'inline-user', pass = \"inline-pass\" }",
      "[[keys]]",
      'value = "array-table-one"',
      "[[keys]]",
      'value = "array-table-two"',
      "port = 5432",
      "enabled = true",
      "since = 2026-01-01T00:00:00Z",
      'dotted.key = "dotted-secret" # trailing comment',
      '"quoted key" = "quoted-key-secret"',
      'escaped = "tab\\tand\\"quote\\"-secret"',
    ].join("\n");
    const expected = [
      "basic-secret",
      "literal-secret",
      "multi-line-secret",
      "literal-multi-secret",
      "array-secret-one",
      "array-secret-two",
      "nested-secret",
      "inline-user",
      "inline-pass",
      "array-table-one",
      "array-table-two",
      "dotted-secret",
      "quoted-key-secret",
      'tab\tand"quote"-secret',
    ];
    expect(secretValuesOf(doc).sort()).toEqual(expected.sort());
    const redact = createRedactor(secretValuesOf(doc));
    for (const value of expected) expect(redact(`log: ${value} end`)).toBe(`log: ${REDACTED} end`);
    // numbers, booleans and dates are not masked
    expect(redact("port 5432 enabled true")).toBe("port 5432 enabled true");
  });

  it("still masks quoted strings of a document that does not parse", () => {
    expect(secretValuesOf('broken = "still-secret"\nnot toml at all [')).toEqual(["still-secret"]);
  });
});
