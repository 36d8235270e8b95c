import { describe, expect, it } from "vitest";
import { indexSettingsFrom, parsePipConfigList } from "./index-settings.js";

describe("parsePipConfigList", () => {
  it("prefers environment, then install, then global values", () => {
    const parsed = parsePipConfigList(
      ["global.index-url='https://global/simple'", "install.index-url='https://install/simple'", ":env:.cert='/ca.crt'", "global.cert='/other.crt'", "nonsense"].join("\n"),
    );
    expect(parsed).toEqual({ "index-url": "https://install/simple", cert: "/ca.crt" });
  });
});

describe("indexSettingsFrom", () => {
  it("maps pip settings to uv variables and keeps only existing local find-links", () => {
    const exists = (path: string) => ["/wheels", "/ca.crt"].includes(path);
    const settings = indexSettingsFrom(
      {
        "index-url": "https://mirror/simple",
        "extra-index-url": "https://a/simple https://b/simple",
        "find-links": "/wheels /missing https://links/",
        "trusted-host": "mirror",
        "default-timeout": "180",
        cert: "/ca.crt",
      },
      { HTTPS_PROXY: "http://127.0.0.1:3128", UV_INDEX_STRATEGY: "unsafe-best-match", UNRELATED: "x" },
      exists,
    );
    expect(settings.env).toEqual({
      UV_DEFAULT_INDEX: "https://mirror/simple",
      UV_INDEX: "https://a/simple https://b/simple",
      UV_FIND_LINKS: "/wheels,https://links/",
      UV_INSECURE_HOST: "mirror",
      UV_HTTP_TIMEOUT: "180",
      UV_INDEX_STRATEGY: "unsafe-best-match",
      HTTPS_PROXY: "http://127.0.0.1:3128",
    });
    expect(settings.localPaths).toEqual(["/wheels"]);
    expect(settings.caBundle).toBe("/ca.crt");
  });

  it("falls back to SSL_CERT_FILE for the CA bundle and yields nothing when no settings exist", () => {
    const settings = indexSettingsFrom({}, { SSL_CERT_FILE: "/env.crt" }, (path) => path === "/env.crt");
    expect(settings).toEqual({ env: {}, caBundle: "/env.crt", localPaths: [] });
  });
});
