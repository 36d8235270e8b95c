/**
 * The manifest version bump of manifest.md §2 (dlt's `bump_manifest_version`), on the three
 * version fields only. The hash itself comes from dlt (`generate_manifest_hash`).
 */
export const MAX_PREVIOUS_HASHES = 10;

export interface ManifestVersionState {
  version: number;
  versionHash: string;
  /** Most recent first, at most 10. Absent until the first change after the initial bump. */
  previousHashes?: string[];
}

export interface BumpResult extends ManifestVersionState {
  /** True when the content hash differs from the previous one (or there was none). */
  changed: boolean;
}

/** `previous` is the stored state of the active deployment, or null/partial before the first one. */
export function bumpVersion(previous: Partial<ManifestVersionState> | null, newManifestHash: string): BumpResult {
  const previousHashes = previous?.previousHashes ? [...previous.previousHashes] : undefined;
  if (!previous?.versionHash) {
    const result: BumpResult = { version: previous?.version ?? 0, versionHash: newManifestHash, changed: true };
    if (previousHashes) result.previousHashes = previousHashes;
    return result;
  }
  const version = previous.version ?? 0;
  if (previous.versionHash === newManifestHash) {
    const result: BumpResult = { version, versionHash: newManifestHash, changed: false };
    if (previousHashes) result.previousHashes = previousHashes;
    return result;
  }
  return {
    version: version + 1,
    versionHash: newManifestHash,
    previousHashes: [previous.versionHash, ...(previousHashes ?? [])].slice(0, MAX_PREVIOUS_HASHES),
    changed: true,
  };
}
