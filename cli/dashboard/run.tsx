// @jsxRuntime automatic
// @jsxImportSource react
/** Starts the Ink dashboard on the terminal; refuses pipes and redirects (they get `sluice info`). */
import { render } from "ink";
import { SluiceError } from "../../core/index.js";
import type { ClientScope } from "../daemon/client.js";
import { DaemonDashboardApi } from "./api.js";
import { App } from "./app.js";
import { DashboardStore } from "./store.js";
import { colorsWanted } from "./theme.js";

export function requireTerminal(streams: { stdin: { isTTY?: boolean }; stdout: { isTTY?: boolean } } = process): void {
  if (streams.stdin.isTTY && streams.stdout.isTTY) return;
  throw new SluiceError("not_a_tty", "`sluice dashboard` needs an interactive terminal (stdin and stdout must be a TTY).", {
    hint: "For scripts and pipes use `sluice info` (and `sluice job list`, `sluice runs`, `sluice logs`), with `--output json` for machines.",
  });
}

export async function runDashboard(input: { home: string; scope: ClientScope }): Promise<void> {
  requireTerminal();
  const api = await DaemonDashboardApi.connect(input.home, input.scope);
  const store = new DashboardStore(api);
  store.start();
  const instance = render(<App store={store} color={colorsWanted()} />, { exitOnCtrlC: true });
  try {
    await instance.waitUntilExit();
  } finally {
    store.stop();
  }
}
