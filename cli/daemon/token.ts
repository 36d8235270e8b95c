import { randomBytes, timingSafeEqual } from "node:crypto";
import { chmod, open, readFile, stat } from "node:fs/promises";
import { SluiceError } from "../../core/index.js";

export interface TokenResult {
  token: string;
  created: boolean;
  /** True when an existing file was readable by others and was tightened to 0600. */
  tightened: boolean;
}

/** Reads the API token, creating it (32 random bytes, hex, file mode 0600) at first start. */
export async function ensureToken(tokenFile: string): Promise<TokenResult> {
  try {
    const handle = await open(tokenFile, "wx", 0o600);
    const token = randomBytes(32).toString("hex");
    try {
      await handle.writeFile(`${token}\n`);
    } finally {
      await handle.close();
    }
    await chmod(tokenFile, 0o600); // the umask may not narrow, but it must never widen
    return { token, created: true, tightened: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const mode = (await stat(tokenFile)).mode & 0o777;
  const tightened = (mode & 0o077) !== 0;
  if (tightened) await chmod(tokenFile, 0o600);
  const token = (await readFile(tokenFile, "utf8")).trim();
  if (!/^[0-9a-f]{32,}$/.test(token)) {
    throw new SluiceError("token_invalid", `The API token file ${tokenFile} does not hold a valid token.`, {
      hint: "Delete the file; the daemon creates a new token at the next start (clients read it from the same file).",
    });
  }
  return { token, created: false, tightened };
}

/** Constant-time comparison of a presented token with the expected one. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (!presented) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
