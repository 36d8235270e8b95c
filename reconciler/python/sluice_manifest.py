"""Sluice's wrapper around dlt's manifest worker.

Usage (cwd = workspace root, interpreter = the workspace environment's python):

    python sluice_manifest.py <module-or-path> [--no-use-all] [--worker-timeout SECONDS]
    python -c "<this file's source>" <module-or-path> ...      (how containers run it)

Runs ``python -m dlt._workspace.deployment._manifest_worker`` in a child process (the
manifest always comes from dlt's worker), then, with dlt itself, computes the per-job
hashes and the manifest content hash. Prints exactly one JSON document on stdout:

    {"exit_code", "worker_stdout", "worker_stderr", "job_hashes", "manifest_hash",
     "dlt_version", "python_version", "pua_start", "diagnostics", "timed_out"[, "hash_error"]}

Always exits 0 when it could report; a non-zero exit means the wrapper itself broke.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import traceback

WORKER_MODULE = "dlt._workspace.deployment._manifest_worker"
# Starts of the worker's payload, used when native code wrote to fd 1 before it.
PAYLOAD_PREFIXES = ('{"manifest":', '{"error":')
# Validation failures: the import succeeds, so diagnostics locate the jobs the message names.
LOCATED_ERROR_TYPES = ("InvalidManifest",)


def worker_env():
    env = dict(os.environ)
    # The workspace may be mounted read-only: never try to write bytecode next to it.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def start_worker(module, no_use_all):
    cmd = [sys.executable, "-m", WORKER_MODULE, module]
    if no_use_all:
        cmd.append("--no-use-all")
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=worker_env())


def wait_worker(proc, timeout):
    """Exit code, stdout, stderr and whether the worker was killed by the timeout."""
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        timed_out = True
    stdout = stdout.decode("utf-8", "replace")
    stderr = stderr.decode("utf-8", "replace")
    if timed_out:
        stderr = f"{stderr}\nmanifest worker timed out after {timeout:g} s".strip()
        return 124, stdout, stderr, True
    return proc.returncode, stdout, stderr, False


def preload_dlt():
    """Imports what hashing needs while the worker runs (importing dlt's deployment package
    takes seconds; overlapping it with the worker keeps generation fast)."""
    try:
        import dlt._workspace.deployment.manifest  # noqa: F401
        from dlt.common import json  # noqa: F401
    except Exception:
        pass


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

    # like `python -m`, which the worker uses: the workspace root comes first on sys.path
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    return import_deployment_module(_resolve_module_name(module))


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
        if isinstance(ex, KeyboardInterrupt):
            raise
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
    out = claim_stdout()
    parser = argparse.ArgumentParser(prog="sluice_manifest")
    parser.add_argument("module")
    parser.add_argument("--no-use-all", action="store_true")
    parser.add_argument("--worker-timeout", type=float, default=None)
    args = parser.parse_args()

    worker = start_worker(args.module, args.no_use_all)
    preload_dlt()
    exit_code, stdout, stderr, timed_out = wait_worker(worker, args.worker_timeout)
    dlt_version, pua_start = versions()
    result = {
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
    }
    if exit_code == 0:
        try:
            result["job_hashes"], result["manifest_hash"] = compute_hashes(stdout)
        except Exception as ex:
            result["hash_error"] = f"{type(ex).__qualname__}: {ex}"
    elif not timed_out:
        try:
            result["diagnostics"] = diagnostics(args.module, stdout)
        except Exception as ex:
            result["diagnostics"] = {"wrapper_error": f"{type(ex).__qualname__}: {ex}"}
    out.write(json.dumps(result))
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
