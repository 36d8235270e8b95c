import type { GenerateManifestOptions } from "../manifest/index.js";
import { generateManifest } from "../manifest/index.js";
import type { JobLike } from "../diff/index.js";
import type { ManifestPort, ManifestPortResult } from "./ports.js";

/** The production ManifestPort: dlt's generator in the workspace environment (reconciler/manifest). */
export function dltManifestPort(options: Omit<GenerateManifestOptions, "workspaceDir" | "script"> = {}): ManifestPort {
  return {
    async generate({ workspaceDir }): Promise<ManifestPortResult> {
      const generated = await generateManifest({ ...options, workspaceDir });
      return {
        manifest: generated.manifest as unknown as ManifestPortResult["manifest"] & { jobs: JobLike[] },
        jobHashes: generated.jobHashes,
        manifestHash: generated.manifestHash,
        warnings: generated.warnings,
        dltVersion: generated.dltVersion,
      };
    },
  };
}
