/**
 * dlt's launchers bind interactive services to `0.0.0.0` (marimo `--host`, streamlit
 * `--server.address`, the MCP runner's `host`), which under `runs.network: host` would put a
 * notebook on every interface of the machine. Interactive runs under host networking therefore
 * get this `sitecustomize.py` on `PYTHONPATH`: Python runs it at start-up in every process of the
 * container (the launcher and the programs it execs), and it rewrites wildcard binds of TCP
 * sockets to loopback. Services on uvloop or a non-Python server bypass it (docs/workspaces.md).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const LOOPBACK_SITECUSTOMIZE = `"""Sluice: TCP services of this run listen on loopback only (runs.network: host)."""
import socket as _socket

_bind = _socket.socket.bind
_WILDCARD = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}


def _loopback_bind(self, address):
    if self.type == _socket.SOCK_STREAM and isinstance(address, tuple) and address and address[0] in _WILDCARD:
        address = (_WILDCARD[address[0]],) + tuple(address[1:])
    return _bind(self, address)


_socket.socket.bind = _loopback_bind
`;

/** Writes `<root>/loopback-bind/sitecustomize.py` when missing or different; returns the dir to mount. */
export function ensureLoopbackBindDir(root: string): string {
  const dir = join(root, "loopback-bind");
  const file = join(dir, "sitecustomize.py");
  let current: string | undefined;
  try {
    current = readFileSync(file, "utf8");
  } catch {
    current = undefined;
  }
  if (current !== LOOPBACK_SITECUSTOMIZE) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, LOOPBACK_SITECUSTOMIZE, { mode: 0o644 });
  }
  return dir;
}
