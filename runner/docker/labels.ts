/** Labels put on every container and image Sluice creates, so leftovers can be found and removed. */
export const SluiceLabel = {
  managed: "sluice.managed",
  purpose: "sluice.purpose",
} as const;

export function managedLabels(purpose: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...extra, [SluiceLabel.managed]: "true", [SluiceLabel.purpose]: purpose };
}

/** `LABEL` instructions for image import/commit `changes`. */
export function labelChanges(labels: Record<string, string>): string[] {
  return Object.keys(labels)
    .sort()
    .map((key) => `LABEL ${JSON.stringify(key)}=${JSON.stringify(labels[key])}`);
}
