"""Sluice: a warm interpreter for the local executor (runner/executors/warm-python.ts).

Started as `python sluice_warm.py <module>...` in the workspace directory with the environment of
a run. It imports the given modules (dlt and dlt's launchers; `?name`: only if installed) the way
`python -m` in that directory would find them, reports which environment variables the imports
read, then waits for ONE hand-off on the control channel (fd 3): `{"module", "args", "env", "cwd",
"argv0", "spawned"}` (`spawned`: the environment this process was started with). It then becomes
that run: environment replaced, cwd, sys.argv / sys.orig_argv / sys.path[0] and a fresh
`__main__` as `python -m <module> <args>` has them, the launcher module executed fresh, and the
exit code of `python -m` (SystemExit as is, an uncaught exception: traceback on stderr, exit 1).

Control lines written on fd 3: `{"ready": true, "read": [...]}` after the imports (or
`{"ready": false, "error": "..."}`), `{"started": true}` just before the run's code runs; fd 3 is
closed before that code runs, so the run has the same open descriptors as a cold one. The objects
the imports left are frozen (`gc.freeze`) before `ready`: the run's exit does not walk them.

In a warm run container (runner/executors/warm-containers.ts) the first arguments are
`--control DIR`: the hand-off is read from the FIFO `DIR/in`, control lines go to the FIFO
`DIR/out`, and the file `DIR/started` is created before the run's code runs (a restarted daemon
tells a container that became a run from an idle one by it). The hand-off's `env` is then the
container's own `-e` variables for the run: they replace those the container was created with,
over what the image and the engine set (as a cold container of that run would have them).
"""
import builtins
import gc
import importlib
import json
import os
import runpy
import sys
import types

CONTROL_FD = 3
# where control lines go and hand-offs come from: fd 3 (local), or FIFOs (`--control DIR`, containers)
_control = {"in": CONTROL_FD, "out": CONTROL_FD, "dir": None}
# the environment after the interpreter's start-up: it may have changed it (PEP 538 sets LC_CTYPE)
_STARTUP_ENV = dict(os.environ)
# the wrapper's own frames are left out of a run's traceback
_THIS_FILE = __file__


def _send(message):
    os.write(_control["out"], (json.dumps(message) + "\n").encode())


def _open_control(argv):
    """`--control DIR` first: the FIFOs of a warm container; returns the remaining arguments."""
    if argv[:1] != ["--control"]:
        return argv
    folder = argv[1]
    # `out` first: the daemon holds both open, so neither open waits
    _control["out"] = os.open(os.path.join(folder, "out"), os.O_WRONLY)
    _control["in"] = os.open(os.path.join(folder, "in"), os.O_RDONLY)
    _control["dir"] = folder
    return argv[2:]


def _close_control():
    for fd in {_control["in"], _control["out"]}:
        os.close(fd)
    if _control["dir"] is not None:
        # the run sees no way back to the daemon: only the `started` marker stays in the folder
        for name in ("in", "out"):
            os.unlink(os.path.join(_control["dir"], name))


def _read_line():
    data = b""
    while not data.endswith(b"\n"):
        chunk = os.read(_control["in"], 65536)
        if not chunk:
            return None
        data += chunk
    return data


# modules that read the environment at import by scanning it for a prefix: they record the prefix
ENV_SCANNERS = {"fsspec.config": "FSSPEC*"}
# modules whose reads are not recorded: `platform` copies the whole environment only for the `file`
# command it runs on the interpreter's binary (is it 32-bit? croniter asks at import), whose answer
# is the same in every environment of a run (the locale is forced to C)
ENV_IGNORED = {"platform"}
_PLUMBING = {"os", "_collections_abc", "collections.abc"}


def _caller_module():
    frame = sys._getframe(3)  # past record() and the Recording method
    while frame is not None and frame.f_globals.get("__name__") in _PLUMBING:
        frame = frame.f_back
    return frame.f_globals.get("__name__") if frame is not None else None


def _import(name):
    """Imports `name`; `?name`: only when installed (an optional module dlt imports lazily)."""
    if not name.startswith("?"):
        importlib.import_module(name)
        return
    try:
        importlib.import_module(name[1:])
    except ModuleNotFoundError as exc:
        if exc.name != name[1:]:
            raise


def _preload(modules, launchers):
    """Imports `modules` (`?name`: if installed); records every environment variable read meanwhile.

    A name, `PREFIX*` for a known scanner (every variable with that prefix), or `*` when other
    code iterated over the whole environment.
    """
    read = set()
    plain = type(os.environ)

    def record(name, whole):
        caller = _caller_module()
        if caller in ENV_IGNORED:
            return
        read.add(ENV_SCANNERS.get(caller) or ("*" if whole else name))

    class Recording(plain):
        def __getitem__(self, key):
            record(key, False)
            return super().__getitem__(key)

        def __iter__(self):
            record(None, True)
            return super().__iter__()

    os.environ.__class__ = Recording
    try:
        for name in modules:
            _import(name)
    finally:
        os.environ.__class__ = plain
    # launcher modules run fresh as __main__, as with `python -m`: only their imports stay loaded
    for name in launchers:
        sys.modules.pop(name, None)
        parent, _, child = name.rpartition(".")
        if parent in sys.modules and hasattr(sys.modules[parent], child):
            delattr(sys.modules[parent], child)
    return sorted(read)


def _freeze_preloaded():
    """Moves what the imports left alive out of the collector's sight (`gc.freeze`), as a pre-fork
    server does before its fork (the gc module's documentation; Airflow's LocalExecutor does it for
    its workers).

    CPython's exit runs full collections; over dlt's ~80,000 import-time objects they took ~150 ms
    of every run's end (docs/performance.md). Frozen, those objects stay alive as they would have
    anyway (modules, classes, functions; the run's own objects are collected as in a cold run). The
    garbage of the imports is collected first so that none of it is kept.
    """
    gc.collect()
    gc.freeze()


def _run_environ(env, spawned):
    """`env` changed as the interpreter changed `spawned` (this process's) at start-up.

    Those changes depend only on start-up variables, which a run handed here has equal.
    """
    result = dict(env)
    for name in set(spawned) | set(_STARTUP_ENV):
        if spawned.get(name) == _STARTUP_ENV.get(name):
            continue
        if name in _STARTUP_ENV:
            result[name] = _STARTUP_ENV[name]
        else:
            result.pop(name, None)
    return result


def _become(handoff):
    """Process state of `python -m <module> <args>` started in `cwd` with `env`."""
    if handoff.get("merge"):
        # a container: the run's `-e` variables over the container's own environment
        env = {**_STARTUP_ENV, **handoff["env"]}
    else:
        env = _run_environ(handoff["env"], handoff["spawned"])
    os.environ.clear()
    os.environ.update(env)
    os.chdir(handoff["cwd"])
    if not sys.flags.safe_path:
        sys.path[0] = os.getcwd()
    importlib.invalidate_caches()
    sys.argv = ["-m", *handoff["args"]]
    sys.orig_argv = [handoff["argv0"], "-m", handoff["module"], *handoff["args"]]
    main = types.ModuleType("__main__")
    main.__dict__.update({"__builtins__": builtins, "__annotations__": {}})
    sys.modules["__main__"] = main


def _report_uncaught(exc):
    """What the interpreter does with an exception that ends `python -m`: traceback, exit 1."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == _THIS_FILE:
        tb = tb.tb_next
    # the displayed traceback is the exception's own
    sys.excepthook(type(exc), exc.with_traceback(tb), tb)
    # like CPython's `python -m`: only KeyboardInterrupt itself (not a subclass) exits through SIGINT
    if type(exc) is KeyboardInterrupt:
        import atexit
        import signal

        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    sys.exit(1)


def _serve(argv):
    modules = _open_control(argv)
    if not sys.flags.safe_path:
        sys.path[0] = os.getcwd()
    launchers = [name for name in modules if ".launchers." in name]
    try:
        read = _preload(modules, launchers)
    except BaseException as exc:  # noqa: BLE001 - any failure means: run this python cold
        _send({"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        os._exit(0)
    _freeze_preloaded()
    _send({"ready": True, "read": read})
    line = _read_line()
    if line is None:
        os._exit(0)
    handoff = json.loads(line)
    _become(handoff)
    if _control["dir"] is not None:
        with open(os.path.join(_control["dir"], "started"), "w"):
            pass
    _send({"started": True})
    _close_control()
    return handoff["module"]


_module = _serve(sys.argv[1:])
del _serve, _preload, _freeze_preloaded, _become, _send, _read_line, _open_control, _close_control
try:
    runpy._run_module_as_main(_module, alter_argv=True)
except SystemExit:
    raise
except BaseException as _exc:  # noqa: BLE001 - the interpreter's own handling of an uncaught exception
    _report_uncaught(_exc)
