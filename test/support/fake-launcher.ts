/**
 * Python stand-ins for dlt's launchers, for executor tests about the process and container
 * contract rather than dlt: each parses the arguments every launcher gets into `args` and `entry`.
 */
const LAUNCHER_ARGUMENTS = `
import argparse, json
parser = argparse.ArgumentParser()
for name in ("--run-id", "--trigger", "--entry-point"):
    parser.add_argument(name, required=True)
args = parser.parse_args()
entry = json.loads(args.entry_point)
`;

/** A launcher module: the argument parsing, then `body` (Python, top level). */
export function fakeLauncher(body: string): string {
  return LAUNCHER_ARGUMENTS + body;
}

/**
 * An interactive launcher: an HTTP server on `run_args.port` answering every GET with its run id,
 * the request path, `run_args.base_path` and the profile, as JSON. `bindHost` is 127.0.0.1 for a
 * process on the host, 0.0.0.0 inside a container (its port is published on loopback only).
 */
export function fakeServiceLauncher(bindHost: "127.0.0.1" | "0.0.0.0"): string {
  return fakeLauncher(`
import os
from http.server import BaseHTTPRequestHandler, HTTPServer
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"run": args.run_id, "path": self.path, "base": entry["run_args"].get("base_path"), "profile": os.environ["WORKSPACE__PROFILE"]}).encode()
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
print("serving on", entry["run_args"]["port"], flush=True)
HTTPServer(("${bindHost}", entry["run_args"]["port"]), H).serve_forever()
`);
}
