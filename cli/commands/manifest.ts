import type { Command } from "commander";

/** Placeholder: replaced by the engineer who owns this command. */
export function registerManifestCommand(_program: Command): void {}
