import type { Command } from "commander";

/** Placeholder: replaced by the engineer who owns this command. */
export function registerSimulateCommand(_program: Command): void {}
