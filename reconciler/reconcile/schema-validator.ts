import { validateManifest } from "../../schemas/index.js";
import type { ManifestValidatorPort } from "./ports.js";

/** The production validator: schemas' `validateManifest` errors (warnings do not block a deploy). */
export function schemaManifestValidator(): ManifestValidatorPort {
  return {
    validate(manifest) {
      return validateManifest(manifest).errors.map((issue) => ({ path: issue.path || "(manifest)", message: issue.message }));
    },
  };
}
