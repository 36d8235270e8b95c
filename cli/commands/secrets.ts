/**
 * `sluice secrets set <workspace> <profile> --file <toml>`, `secrets list [workspace]`,
 * `secrets remove <workspace> <profile>`: the per-workspace, per-profile secrets that runs get
 * as `.dlt/<profile>.secrets.toml`. Values are never printed.
 */
import type { Command } from "commander";
import { Option } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { SluiceError } from "../../core/index.js";
import { sluiceHome } from "../../runner/images/index.js";
import { createSecretStore, secretValuesOf, type SecretStore } from "../../runner/secrets/index.js";
import { resolveHome } from "../daemon/home.js";
import { formatTable, printJson } from "../output.js";

type Format = "text" | "json";

const HOME_HELP = "daemon home (default $SLUICE_HOME or ~/.sluice)";

const outputOption = () => new Option("-o, --output <format>", "result format").choices(["text", "json"]).default("text");

export function secretStoreAt(home: string = sluiceHome()): SecretStore {
  return createSecretStore(join(home, "secrets"));
}

function readSecretsFile(file: string): string {
  const path = file === "-" ? 0 : resolve(file);
  if (path !== 0 && !existsSync(path)) {
    throw new SluiceError("secrets_file_missing", `Secrets file ${file} does not exist`, { hint: "Pass the TOML file to store, e.g. --file .dlt/prod.secrets.toml (or --file - for stdin)." });
  }
  return readFileSync(path, "utf8");
}

export function registerSecretsCommands(program: Command): void {
  const secrets = program.command("secrets").description("secrets of a workspace profile, mounted into runs as .dlt/<profile>.secrets.toml");

  secrets
    .command("set")
    .description("store (or replace) the secrets TOML of a workspace profile")
    .argument("<workspace>", "workspace name")
    .argument("<profile>", "profile, e.g. prod or access")
    .requiredOption("-f, --file <toml>", "TOML file with the secrets ('-' reads stdin)")
    .addOption(outputOption())
    .option("--home <dir>", HOME_HELP)
    .action((workspace: string, profile: string, options: { file: string; output: Format; home?: string }) => {
      const entry = secretStoreAt(resolveHome(options.home)).set(workspace, profile, readSecretsFile(options.file));
      const values = secretValuesOf(readFileSync(entry.path, "utf8")).length;
      const result = { workspace, profile, sizeBytes: entry.sizeBytes, maskedValues: values };
      if (options.output === "json") printJson(result);
      else process.stdout.write(`stored ${profile}.secrets.toml for ${workspace} (${entry.sizeBytes} bytes, ${values} values masked in logs)\n`);
    });

  secrets
    .command("list")
    .description("list stored secrets files (names and sizes only)")
    .argument("[workspace]", "only this workspace")
    .addOption(outputOption())
    .option("--home <dir>", HOME_HELP)
    .action((workspace: string | undefined, options: { output: Format; home?: string }) => {
      const entries = secretStoreAt(resolveHome(options.home))
        .list(workspace)
        .map((entry) => ({ workspace: entry.workspace, profile: entry.profile, sizeBytes: entry.sizeBytes, modified: new Date(entry.modifiedMs).toISOString() }));
      if (options.output === "json") printJson(entries);
      else if (entries.length === 0) process.stdout.write("no secrets stored\n");
      else process.stdout.write(formatTable(["WORKSPACE", "PROFILE", "BYTES", "MODIFIED"], entries.map((e) => [e.workspace, e.profile, String(e.sizeBytes), e.modified])));
    });

  secrets
    .command("remove")
    .description("delete the stored secrets of a workspace profile")
    .argument("<workspace>", "workspace name")
    .argument("<profile>", "profile")
    .option("--home <dir>", HOME_HELP)
    .action((workspace: string, profile: string, options: { home?: string }) => {
      if (!secretStoreAt(resolveHome(options.home)).remove(workspace, profile)) {
        throw new SluiceError("secrets_not_found", `No secrets stored for ${workspace}/${profile}`, { hint: "See `sluice secrets list`." });
      }
      process.stdout.write(`removed ${profile}.secrets.toml of ${workspace}\n`);
    });
}
