"""Sluice's wrapper around dlt's manifest worker.

Usage (cwd = workspace root, interpreter = the workspace environment's python):

    python sluice_manifest.py <module-or-path> [--no-use-all] [--worker-timeout SECONDS]
    python -c "<this file's source>" <module-or-path> ...      (how containers run it)

Runs dlt's ``dlt._workspace.deployment._manifest_worker`` unchanged, as ``python -m`` would,
but in this process (``runpy``), with fd 1 and fd 2 captured into files: the manifest always
comes from dlt's worker, and dlt is imported once. The wrapper process itself is fresh per
generation (one container per generation). Then, with the same dlt, it computes the per-job
hashes and the manifest content hash. Prints exactly one JSON document on stdout:

    {"exit_code", "worker_stdout", "worker_stderr", "job_hashes", "manifest_hash",
     "dlt_version", "python_version", "pua_start", "diagnostics", "timed_out",
     "timings"[, "hash_error"]}

Always exits 0 when it could report; a non-zero exit means the wrapper itself broke.

Warm mode (``--serve CONTROL_DIR [--keep-tmp] [--idle-exit SECONDS]``): dlt and its manifest machinery are imported
once, then each request is generated in a fresh fork of that process. The daemon writes ``CONTROL_DIR/<id>.req``
(JSON: ``{"cwd", "args", "timeout"}``); the fork chdirs to ``cwd`` and runs ``main`` with
``args`` exactly as a cold process would, its result document going to ``<id>.out``; the server
then writes ``<id>.done`` (JSON: ``{"status", "killed"}``); what the fork writes to fd 2 outside
the worker's capture (what a cold container's stderr would hold) goes to ``<id>.err``. The server
never imports workspace code, so every generation sees the workspace's current modules; a fork
that hangs past ``timeout`` is killed, one that eats memory is the OOM killer's first choice.
After each generation, as when a cold container ends, the processes it started are killed (the
fork leads its own process group) and whatever it left in ``/tmp`` (dlt's pipeline state and local
data of a module that runs a pipeline, ``~/.dlt`` with ``HOME=/tmp``) is removed: each fork starts
from the ``/tmp`` the server had when it became ready. A server on the host (``--keep-tmp``)
leaves /tmp alone, as a cold host process does. With ``--idle-exit`` the server also ends after
that many seconds without a request: a server in a container cannot see its daemon's death
through its parent, and the daemon stops an idle server well before that.
"""

import argparse
import json
import os
import platform
import runpy
import sys
import tempfile
import threading
import time
import traceback

WORKER_MODULE = "dlt._workspace.deployment._manifest_worker"
# Starts of the worker's payload, used when native code wrote to fd 1 before it.
PAYLOAD_PREFIXES = ('{"manifest":', '{"error":')
# Validation failures: the import succeeds, so diagnostics locate the jobs the message names.
LOCATED_ERROR_TYPES = ("InvalidManifest",)


class FdCapture:
    """Points fd 1 and fd 2 at temporary files, so output of Python and native code lands there."""

    FDS = (1, 2)

    def __init__(self):
        self.files = {fd: tempfile.TemporaryFile() for fd in self.FDS}
        self.saved = {}

    def start(self):
        flush_std_streams()
        for fd in self.FDS:
            self.saved[fd] = os.dup(fd)
            os.dup2(self.files[fd].fileno(), fd)

    def stop(self):
        flush_std_streams()
        for fd, saved in self.saved.items():
            os.dup2(saved, fd)
            os.close(saved)
        self.saved = {}

    def text(self, fd):
        """What was written so far (safe from another thread: reads by offset)."""
        fileno = self.files[fd].fileno()
        return os.pread(fileno, os.fstat(fileno).st_size, 0).decode("utf-8", "replace")


def flush_std_streams():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def exit_code_of(ex):
    """The process exit code `python -m` would give for an uncaught SystemExit."""
    code = ex.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def run_worker(module, no_use_all):
    """Runs dlt's worker module as `__main__` in this process; returns its exit code."""
    # as with `python -m`: argv names the module's arguments, the cwd (workspace root) is first
    # on sys.path (`-c` would give "", a script path its own directory)
    sys.argv = [WORKER_MODULE, module] + (["--no-use-all"] if no_use_all else [])
    if not getattr(sys.flags, "safe_path", False):
        sys.path[0] = os.getcwd()
    try:
        runpy.run_module(WORKER_MODULE, run_name="__main__", alter_sys=True)
    except SystemExit as ex:
        return exit_code_of(ex)
    except BaseException:  # noqa: B036 - the interpreter would print it and exit 1
        traceback.print_exc()
        return 1
    return 0


class Reporter:
    """Writes the one result document, once: from the main thread or from the timeout watchdog."""

    def __init__(self, out):
        self.out = out
        self.lock = threading.Lock()

    def claim(self, blocking=True):
        return self.lock.acquire(blocking)

    def write(self, result):
        self.out.write(json.dumps(result))
        self.out.flush()


def start_watchdog(timeout, reporter, on_expire):
    """After `timeout` seconds, writes `on_expire()` as the result and ends the process.

    A thread, not a signal: user code may catch exceptions or block signals; os._exit cannot be
    caught. Native code holding the GIL forever is left to the outer (container) timeout.
    """
    if timeout is None:
        return

    def expire():
        if not reporter.claim(blocking=False):
            return
        reporter.write(on_expire())
        os._exit(0)

    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    timer.start()


def payload_text(stdout):
    """The worker's JSON document; tolerates noise written by native code before it."""
    text = stdout.strip()
    if text.startswith("{"):
        return text
    positions = [text.rfind(prefix) for prefix in PAYLOAD_PREFIXES]
    start = max(positions)
    return text[start:] if start >= 0 else text


def compute_hashes(stdout):
    """Per-job and manifest hashes, computed by dlt on the typed (re-hydrated) manifest."""
    from dlt.common import json as dlt_json
    from dlt._workspace.deployment.manifest import generate_manifest_hash, hash_job_definition

    payload = dlt_json.typed_loads(payload_text(stdout))
    manifest = payload["manifest"]
    job_hashes = {job["job_ref"]: hash_job_definition(job) for job in manifest.get("jobs", [])}
    return job_hashes, generate_manifest_hash(manifest)


def error_type_of(stdout):
    try:
        return json.loads(payload_text(stdout)).get("error_type")
    except ValueError:
        return None


def error_message_of(stdout):
    try:
        return json.loads(payload_text(stdout)).get("error") or ""
    except ValueError:
        return ""


def is_workspace_file(path, root):
    path = os.path.abspath(path)
    return path.startswith(root + os.sep) and "site-packages" not in path


def relative(path, root):
    return os.path.relpath(os.path.abspath(path), root)


def import_module_for_diagnostics(module):
    from dlt._workspace.deployment.manifest import _resolve_module_name, import_deployment_module

    name = _resolve_module_name(module)
    if name not in sys.modules:
        # the worker's import failed in this process: forget the workspace modules it left
        # behind, so the import runs from the start as in a fresh interpreter
        root = os.path.abspath(os.getcwd())
        for mod_name, mod in list(sys.modules.items()):
            mod_file = getattr(mod, "__file__", None)
            if mod_file and is_workspace_file(mod_file, root):
                del sys.modules[mod_name]
    return import_deployment_module(name)


def location_of_exception(ex, root):
    """File and line in the workspace closest to where `ex` was raised."""
    if isinstance(ex, SyntaxError) and ex.filename and is_workspace_file(ex.filename, root):
        return {"file": relative(ex.filename, root), "line": ex.lineno}
    frames = [
        frame
        for frame in traceback.extract_tb(ex.__traceback__)
        if is_workspace_file(frame.filename, root)
    ]
    if not frames:
        return {}
    last = frames[-1]
    return {
        "file": relative(last.filename, root),
        "line": last.lineno,
        "function": last.name,
        "source": (last.line or "").strip(),
    }


def exception_chain(ex, limit=20):
    """Type names of `ex` and the exceptions it was raised from or while handling."""
    names = []
    while ex is not None and len(names) < limit:
        names.append(type(ex).__qualname__)
        ex = ex.__cause__ or ex.__context__
    return names


def location_of_jobs(job_refs, root):
    """Source location of decorated job functions, found among workspace modules."""
    import inspect

    from dlt._workspace.deployment.decorators import JobFactory

    found = {}
    for mod in list(sys.modules.values()):
        mod_file = getattr(mod, "__file__", None)
        if not mod_file or not is_workspace_file(mod_file, root):
            continue
        for value in list(vars(mod).values()):
            if not isinstance(value, JobFactory) or value.job_ref not in job_refs:
                continue
            func = getattr(value, "_f", None)
            try:
                source_file = inspect.getsourcefile(func)
                _, line = inspect.getsourcelines(func)
            except (TypeError, OSError):
                continue
            if source_file and is_workspace_file(source_file, root):
                found[value.job_ref] = {"file": relative(source_file, root), "line": line}
    return found


def mentioned_job_refs(message):
    import re

    return sorted(set(re.findall(r"job '(jobs\.[A-Za-z0-9_.]+)'", message)))


def diagnostics(module, stdout):
    """Where the failure happened, found by importing the deployment module in this process.

    Only used to enrich the error message: the manifest itself always comes from the worker.
    """
    root = os.path.abspath(os.getcwd())
    error_type = error_type_of(stdout)
    try:
        import_module_for_diagnostics(module)
    except BaseException as ex:  # noqa: B036 - user code may raise anything, even SystemExit
        # (a KeyboardInterrupt, too: nothing sends SIGINT to a generation)
        info = {
            "exception": type(ex).__qualname__,
            "message": str(ex),
            "chain": exception_chain(ex),
        }
        info.update(location_of_exception(ex, root))
        return info
    if error_type in LOCATED_ERROR_TYPES:
        jobs = location_of_jobs(set(mentioned_job_refs(error_message_of(stdout))), root)
        return {"jobs": jobs} if jobs else None
    return None


def versions():
    try:
        import dlt

        dlt_version = getattr(dlt, "__version__", None)
    except Exception:
        dlt_version = None
    try:
        from dlt.common.json import PUA_START

        pua_start = PUA_START
    except Exception:
        pua_start = 0xF026
    return dlt_version, pua_start


def claim_stdout():
    """Keeps fd 1 for the result document; anything else written to fd 1 goes to stderr."""
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    sys.stdout.flush()
    os.dup2(2, 1)
    return out


def main():
    started = time.perf_counter()
    out = claim_stdout()
    # the worker's payload is written through sys.stdout; a child got PYTHONIOENCODING=utf-8
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(encoding="utf-8")
    parser = argparse.ArgumentParser(prog="sluice_manifest")
    parser.add_argument("module")
    parser.add_argument("--no-use-all", action="store_true")
    parser.add_argument("--worker-timeout", type=float, default=None)
    args = parser.parse_args()

    # before the worker, outside the capture: the watchdog must not import while it may hang
    dlt_version, pua_start = versions()
    capture = FdCapture()
    timings = {}
    state = {"result": None}

    def result_of(exit_code, stdout, stderr, timed_out=False):
        return {
            "exit_code": exit_code,
            "worker_stdout": stdout,
            "worker_stderr": stderr,
            "job_hashes": {},
            "manifest_hash": None,
            "dlt_version": dlt_version,
            "python_version": platform.python_version(),
            "pua_start": pua_start,
            "diagnostics": None,
            "timed_out": timed_out,
            "timings": dict(timings, total_ms=ms_since(started)),
        }

    def on_expire():
        if state["result"] is not None:
            # the worker finished; what overran is the hashing or the diagnostics import
            return dict(state["result"], diagnostics={"wrapper_error": "diagnostics did not finish in time"})
        stderr = f"{capture.text(2)}\nmanifest worker timed out after {args.worker_timeout:g} s".strip()
        return result_of(124, capture.text(1), stderr, timed_out=True)

    reporter = Reporter(out)
    start_watchdog(args.worker_timeout, reporter, on_expire)
    worker_started = time.perf_counter()
    capture.start()
    try:
        exit_code = run_worker(args.module, args.no_use_all)
    finally:
        capture.stop()
    timings["worker_ms"] = ms_since(worker_started)
    stdout = capture.text(1)
    result = result_of(exit_code, stdout, capture.text(2))
    state["result"] = dict(result)

    after_worker = time.perf_counter()
    if exit_code == 0:
        try:
            result["job_hashes"], result["manifest_hash"] = compute_hashes(stdout)
        except Exception as ex:
            result["hash_error"] = f"{type(ex).__qualname__}: {ex}"
    else:
        try:
            result["diagnostics"] = diagnostics(args.module, stdout)
        except Exception as ex:
            result["diagnostics"] = {"wrapper_error": f"{type(ex).__qualname__}: {ex}"}
    timings["after_worker_ms"] = ms_since(after_worker)
    result["timings"] = dict(timings, total_ms=ms_since(started))
    # the watchdog may be reporting right now; then it also ends the process
    reporter.claim()
    reporter.write(result)
    # user code may have left non-daemon threads or slow atexit hooks; the result is out
    flush_std_streams()
    os._exit(0)


def ms_since(started):
    return round((time.perf_counter() - started) * 1000)


# dlt's manifest machinery, and the frameworks its job detectors import on first use (marimo,
# fastmcp: ~1 s of every cold generation); never workspace code
WARM_IMPORTS = (
    "dlt",
    "dlt.common.json",
    "dlt._workspace.deployment.manifest",
    "dlt._workspace.deployment._manifest_worker",
    "dlt._workspace.deployment.detectors",
    "marimo",
    "fastmcp",
)


def serve(control_dir, keep_tmp=False, idle_exit=None, poll_seconds=0.01):
    """Warm mode: one fork per request file, one at a time (see the module docstring).

    `keep_tmp` (a server on the host, `--keep-tmp`): /tmp is the machine's, shared with everything
    else, and a cold host process leaves it as it is too, so nothing there is removed. The server
    ends when its parent (the daemon) is gone, after `idle_exit` seconds without a request, or on
    SIGTERM, taking a running fork with it."""
    import importlib
    import signal

    parent = os.getppid()
    signal.signal(signal.SIGTERM, lambda *_: end_serving())
    for name in WARM_IMPORTS:
        try:
            importlib.import_module(name)
        except Exception:
            pass  # the fork imports it again and reports the error as a cold run would
    baseline = None if keep_tmp else tmp_paths()
    ready = os.path.join(control_dir, "ready")
    with open(ready + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.replace(ready + ".tmp", ready)
    last_request = time.monotonic()
    while True:
        requests = sorted(n for n in os.listdir(control_dir) if n.endswith(".req"))
        if not requests:
            if os.getppid() != parent:
                end_serving()
            if idle_exit is not None and time.monotonic() - last_request > idle_exit:
                end_serving()
            time.sleep(poll_seconds)
            continue
        for name in requests:
            serve_one(control_dir, name[: -len(".req")])
            if baseline is not None:
                reset_tmp(baseline)
        last_request = time.monotonic()


# the fork being served, killed with the server
SERVING = {"pid": None}


def end_serving():
    if SERVING["pid"] is not None:
        kill_group(SERVING["pid"])
    os._exit(0)


def serve_one(control_dir, request_id):
    path = os.path.join(control_dir, request_id)
    with open(path + ".req") as f:
        request = json.load(f)
    os.remove(path + ".req")
    out_fd = os.open(path + ".out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    err_fd = os.open(path + ".err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    flush_std_streams()
    pid = os.fork()
    if pid == 0:
        run_forked(request, out_fd, err_fd)
    SERVING["pid"] = pid
    os.close(out_fd)
    os.close(err_fd)
    try:
        os.setpgid(pid, pid)  # also set by the fork itself: whichever runs first
    except OSError:
        pass
    status, killed = wait_child(pid, float(request.get("timeout") or 0) or None)
    try:
        # processes the generation started and left running die with it, as in a cold container
        os.killpg(pid, 9)
    except OSError:
        pass  # none left (the fork is reaped: never a plain kill of its pid)
    SERVING["pid"] = None
    with open(path + ".done.tmp", "w") as f:
        json.dump({"status": status, "killed": killed}, f)
    os.replace(path + ".done.tmp", path + ".done")


def run_forked(request, out_fd, err_fd):
    """In the fork: the request's cwd and argv, its result document on `out_fd`, its stderr on
    `err_fd`; never returns."""
    try:
        import signal

        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # as in a fresh process, not the server's handler
        try:
            with open("/proc/self/oom_score_adj", "w") as f:
                f.write("1000")  # under memory pressure the generation goes, not the server
        except OSError:
            pass
        os.setpgid(0, 0)  # its own process group: whatever it starts is killed with it
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        os.close(out_fd)
        os.close(err_fd)
        # as under `python -m`: the worker module is not imported yet when runpy runs it (else
        # runpy warns into the worker's stderr, which messages are built from); its imports stay warm
        sys.modules.pop(WORKER_MODULE, None)
        os.chdir(request["cwd"])
        sys.argv = ["sluice_manifest"] + list(request["args"])
        main()
    except BaseException:  # noqa: B036 - whatever happens, the fork must not return into the server loop
        traceback.print_exc()
    finally:
        os._exit(70)


def tmp_paths():
    """Every path under /tmp (the server's own, kept when a generation's leftovers are removed)."""
    paths = set()
    for parent, dirs, files in os.walk("/tmp"):
        paths.update(os.path.join(parent, name) for name in dirs + files)
    return paths


def reset_tmp(baseline):
    """Removes what the last generation added under /tmp (a cold container's /tmp dies with it)."""
    import shutil

    for parent, dirs, files in os.walk("/tmp", topdown=True):
        for name in files:
            path = os.path.join(parent, name)
            if path not in baseline:
                try:
                    os.remove(path)
                except OSError:
                    pass
        for name in list(dirs):
            path = os.path.join(parent, name)
            if path not in baseline:
                if os.path.islink(path):
                    os.remove(path)
                else:
                    shutil.rmtree(path, ignore_errors=True)
                dirs.remove(name)


def kill_group(pid):
    """SIGKILL to the (unreaped) fork's process group, or the fork itself if the group is not there."""
    try:
        os.killpg(pid, 9)
    except OSError:
        try:
            os.kill(pid, 9)
        except OSError:
            pass


def wait_child(pid, timeout):
    """The fork's exit status (negative: killed by that signal) and whether it was killed for time."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return (os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status)), False
        if deadline is not None and time.monotonic() > deadline:
            kill_group(pid)
            _, status = os.waitpid(pid, 0)
            return -9, True
        time.sleep(0.005)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--serve":
        options = argparse.ArgumentParser(prog="sluice_manifest --serve")
        options.add_argument("--keep-tmp", action="store_true")
        options.add_argument("--idle-exit", type=float, default=None)
        served = options.parse_args(sys.argv[3:])
        serve(sys.argv[2], keep_tmp=served.keep_tmp, idle_exit=served.idle_exit)
    sys.exit(main())
