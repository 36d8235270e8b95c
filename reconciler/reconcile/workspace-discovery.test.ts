import { describe, expect, it } from "vitest";
import { planRepoWorkspaces, workspaceNameFor } from "./workspace-discovery.js";

const folders = (deployable: string[]) => ({ deployable, adHoc: [], nested: [] });
const known = (workspace: string, path: string) => ({ workspace, repo: "r", path, createdAt: "" });

describe("workspace names", () => {
  it("the root is named like the repo, a folder after its path with '/' as '-', lower-cased", () => {
    expect(workspaceNameFor("starter", "")).toBe("starter");
    expect(workspaceNameFor("starter", "jaffle_shop_workspace")).toBe("jaffle_shop_workspace");
    expect(workspaceNameFor("starter", "teams/Data Shop")).toBe("teams-data-shop");
    expect(workspaceNameFor("starter", "_private")).toBeNull();
    expect(workspaceNameFor("starter", "x".repeat(64))).toBeNull();
  });
});

describe("planRepoWorkspaces", () => {
  it("a folder the repo already deploys keeps its name when a clashing folder appears; the newcomer is skipped", () => {
    const plan = planRepoWorkspaces({ repo: "r", folders: folders(["Shop", "shop"]), current: [known("shop", "shop")], ownerOf: () => null });
    expect(plan.workspaces).toEqual([{ workspace: "shop", path: "shop" }]);
    expect(plan.skipped).toEqual([{ path: "Shop", reason: expect.stringContaining("already taken by folder 'shop'") }]);
    expect([plan.added, plan.moved, plan.removed]).toEqual([[], [], []]);
  });

  it("names held elsewhere and invalid names are skipped with the reason; gone folders are removed; a moved folder keeps its workspace", () => {
    const plan = planRepoWorkspaces({
      repo: "r",
      folders: folders(["", "orders", "_x"]),
      current: [known("r", "old-root-was-here"), known("gone", "gone")],
      ownerOf: (name) => (name === "orders" ? "repo 'other' (folder 'orders')" : null),
    });
    expect(plan.workspaces).toEqual([{ workspace: "r", path: "" }]);
    expect(plan.moved).toEqual([{ workspace: "r", path: "" }]);
    expect(plan.removed).toEqual(["gone"]);
    expect(plan.skipped.map((s) => s.path)).toEqual(["_x", "orders"]);
    expect(plan.skipped[0]?.reason).toContain("valid workspace name");
    expect(plan.skipped[1]?.reason).toContain("already used by repo 'other'");
  });
});
