/** The host's uv cache directory, shared with build containers so rebuilds reuse downloads. */
import { homedir } from "node:os";
import { join } from "node:path";
import { runHostCommand } from "./host-command.js";

export async function hostUvCacheDir(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.UV_CACHE_DIR) return env.UV_CACHE_DIR;
  const asked = await runHostCommand("uv", ["cache", "dir"], { env }).catch(() => undefined);
  const answer = asked?.exitCode === 0 ? asked.stdout.trim() : "";
  if (answer.startsWith("/")) return answer;
  return join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "uv");
}
