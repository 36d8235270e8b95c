import { describe, expect, it } from "vitest";
import { classifyWorkspaceFolders } from "./discover.js";

describe("classifyWorkspaceFolders", () => {
  it("finds folders with __deployment__.py up to 3 levels down and skips dot, venv and node_modules folders", () => {
    const found = classifyWorkspaceFolders([
      "README.md",
      "shop/__deployment__.py",
      "teams/data/orders/__deployment__.py",
      "a/b/c/d/__deployment__.py",
      ".github/x/__deployment__.py",
      "tools/.venv/__deployment__.py",
      "venv/__deployment__.py",
      "web/node_modules/pkg/__deployment__.py",
    ]);
    expect(found).toEqual({ deployable: ["shop", "teams/data/orders"], adHoc: [], nested: [] });
  });

  it("reports dlt workspace folders without __deployment__.py as ad-hoc and folders inside a workspace as nested", () => {
    const found = classifyWorkspaceFolders([
      "fruitshop/.dlt/.workspace",
      "fruitshop/fruitshop_pipeline.py",
      "zero/pyproject.toml",
      "shop/__deployment__.py",
      "shop/pyproject.toml",
      "shop/tools/__deployment__.py",
      "shop/tools/pyproject.toml",
    ]);
    expect(found).toEqual({ deployable: ["shop"], adHoc: ["fruitshop", "zero"], nested: [{ path: "shop/tools", inside: "shop" }] });
  });

  it("a root __deployment__.py makes the root the only workspace", () => {
    expect(classifyWorkspaceFolders(["__deployment__.py", ".dlt/.workspace", "pyproject.toml", "sub/__deployment__.py"])).toEqual({
      deployable: [""],
      adHoc: [],
      nested: [{ path: "sub", inside: "" }],
    });
  });
});
