// Lint rules, including the one-way import direction:
// cli → reconciler → runner → core → schemas (a folder may only import folders to its right).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const layers = ["schemas", "core", "runner", "reconciler", "cli"];

/** A folder may not import any layer that sits above it. */
function layerRule(layer) {
  const above = layers.slice(layers.indexOf(layer) + 1);
  return {
    files: [`${layer}/**/*.ts`, `${layer}/**/*.tsx`],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: above.map((upper) => ({
            group: [`**/${upper}/*`, `**/${upper}`],
            message: `${layer}/ must not import ${upper}/ (imports point cli → reconciler → runner → core → schemas).`,
          })),
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ["node_modules/**", "fixtures/workspaces/**", "fixtures/broken/**", "dist/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  ...layers.slice(0, -1).map(layerRule),
);
