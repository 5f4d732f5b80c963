# dagctl's warm dbt worker (docs/runs.md#warm-workers).
#
# dagctld starts this with the project's own dbt interpreter, once per project. It imports
# dbt and the project's adapter once, parses the project, and then forks one child per run
# (the zygote pattern): the child takes the run's environment, folder and output, calls
# dbt's own command line entry point with the parsed manifest, and exits with dbt's exit
# code, so a run behaves as `dbt ...` started fresh, minus the start-up.
#
# Talks to dagctld over fd 3, a SOCK_SEQPACKET socket: one JSON object per message, file
# descriptors (the run's output file, each child's pidfd) beside them. Before a fork the
# worker holds no warehouse connection, no thread and no lock: parsing opens none, and
# the adapter it registers is dropped before the first fork.
#
# Worker -> daemon:
#   {"event": "hello", "dbt_version", "python", "watch": [files whose change means a new
#    dbt installation]} + [its own pidfd], or {"event": "unusable", "reason"} (then it exits)
#   {"event": "parsing"} / {"event": "parsed", "ok", "seconds", "reason"}
#   {"event": "started", "run_id", "warm_manifest"} + [pidfd of the run's process]
#   {"event": "exited", "run_id", "exit_code"} or {..., "signal"}
#   {"event": "refused", "run_id", "reason"} (no child started: the daemon runs it cold)
# Daemon -> worker:
#   {"op": "run", "run_id", "argv" (dbt's arguments, without "dbt"), "env", "cwd"}
#     + [the run's output file, opened for appending]
#   end of file: finish the running children, then exit.

import array
import errno
import json
import os
import select
import signal
import socket
import sys
import time

SOCKET_FD = 3
SCRIPT_FD = 4  # this script, a sealed memfd dagctld passes (the path run is /proc/self/fd/4)
MAX_MESSAGE = 4 * 1024 * 1024
# The dbt-core versions this worker is tested with; others go the cold path.
TESTED = ((1, 11), (1, 11))
# Arguments that change what a parse produces: runs with them parse for themselves.
# --warn-error(-options): a parse's warnings (unused config paths, deprecations) become
# errors, which a kept manifest would skip.
PARSE_FLAGS = ("--vars", "--target", "-t", "--profile", "--profiles-dir", "--project-dir",
               "--warn-error", "--warn-error-options",
               "--no-partial-parse", "--partial-parse", "--static-parser",
               "--no-static-parser", "--use-experimental-parser",
               "--no-use-experimental-parser", "--partial-parse-file-path",
               "--partial-parse-file-diff", "--no-partial-parse-file-diff")
# Set per run by dagctld: a manifest that read one of these is never reused.
PER_RUN_VARIABLES = ("DAGCTL_RUN_ID", "DBT_TARGET_PATH", "DBT_LOG_PATH", "DAGCTL_WARM_DIR")
# In the worker's own environment only: not part of what a run's parse depends on.
WORKER_VARIABLES = PER_RUN_VARIABLES + ("DAGCTL_WARM_WORKER",)
# A file whose status changed this long before a parse began may have changed while dbt
# read it: the kernel stamps files with a clock up to a tick behind time.time_ns().
CHANGE_MARGIN_NS = 50_000_000

sock = socket.socket(fileno=SOCKET_FD, family=socket.AF_UNIX, type=socket.SOCK_SEQPACKET)


def send(message, fds=()):
    data = json.dumps(message).encode()
    if fds:
        socket.send_fds(sock, [data], list(fds))
    else:
        sock.send(data)


def receive():
    """One message and its descriptors; (None, []) at end of file."""
    data, fds, _flags, _addr = socket.recv_fds(sock, MAX_MESSAGE, 4)
    if not data:
        for fd in fds:
            os.close(fd)
        return None, []
    return json.loads(data), fds


def version_tuple(text):
    parts = []
    for piece in text.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


# --- start: import dbt once ---------------------------------------------------------------

try:
    import dbt.version
    from dbt.cli.main import cli as dbt_cli
    import dbt.cli.requires
    import dbt.adapters.factory
except BaseException as exc:  # noqa: BLE001 - any failure means: not a usable dbt-core
    send({"event": "unusable",
          "reason": f"{sys.executable} cannot import dbt-core ({type(exc).__name__}: {exc})"})
    sys.exit(0)

DBT_VERSION = dbt.version.__version__
if not TESTED[0] <= version_tuple(DBT_VERSION) <= TESTED[1]:
    send({"event": "unusable",
          "reason": f"dbt-core {DBT_VERSION} is outside the versions warm workers are tested "
                    f"with ({TESTED[0][0]}.{TESTED[0][1]} to {TESTED[1][0]}.{TESTED[1][1]})"})
    sys.exit(0)


def preload():
    """Imports what every run would import after the fork (dbt's tasks, the compiler, the
    thread pool), so each child starts from them. Imports only: no thread, no connection."""
    global LIBC
    import importlib
    for name in ("dbt.task.build", "dbt.task.run", "dbt.task.test", "dbt.task.seed",
                 "dbt.task.snapshot", "dbt.task.compile", "dbt.task.list", "dbt.task.freshness",
                 "dbt.task.run_operation", "dbt.task.retry", "dbt.task.show", "dbt.task.docs.generate",
                 "dbt.compilation", "dbt.graph.thread_pool", "dbt_common.clients.agate_helper",
                 "multiprocessing.pool", "multiprocessing.dummy", "sqlparse", "babel.dates"):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - another dbt: the run imports what it needs itself
            pass
    try:
        import ctypes
        LIBC = ctypes.CDLL(None)
    except Exception:  # noqa: BLE001
        LIBC = None


LIBC = None


def watched_files():
    """Files whose change means the project's dbt installation changed."""
    files = {sys.executable, dbt.version.__file__}
    for name, module in list(sys.modules.items()):
        if name.startswith("dbt.adapters.") and name.count(".") == 2 and getattr(module, "__file__", None):
            files.add(module.__file__)
    return sorted(f for f in files if f)


# --- the parsed project -------------------------------------------------------------------

manifest = None           # the newest parse's Manifest, or None
fingerprint = None        # what that parse read, see project_fingerprint
input_paths = None        # the project's folders dbt reads, from the parse's config


def stat_key(path):
    try:
        st = os.stat(path)
    except OSError:
        return (path, None)
    # ctime too: a file rewritten in place with its old mtime (cp -p, tar) changed all the same.
    return (path, st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


def profiles_path(env, cwd):
    folder = env.get("DBT_PROFILES_DIR")
    if not folder:
        folder = cwd if os.path.exists(os.path.join(cwd, "profiles.yml")) else os.path.join(
            env.get("HOME", "/"), ".dbt")
    return os.path.join(folder, "profiles.yml")


def project_fingerprint(env, cwd):
    """What a parse reads: each file of the project's dbt folders (name, mtime, size,
    inode), the root files, the profile, and the environment but its per-run variables."""
    keys = []
    for name in ("dbt_project.yml", "packages.yml", "dependencies.yml", "selectors.yml",
                 "package-lock.yml", ".dbtignore"):
        keys.append(stat_key(os.path.join(cwd, name)))
    keys.append(stat_key(profiles_path(env, cwd)))
    for folder in input_paths or ():
        top = os.path.join(cwd, folder)
        keys.append(stat_key(top))
        for root, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for f in sorted(files):
                keys.append(stat_key(os.path.join(root, f)))
            for d in dirs:
                keys.append(stat_key(os.path.join(root, d)))
    variables = sorted((k, v) for k, v in env.items() if k not in WORKER_VARIABLES)
    return (tuple(keys), tuple(variables))


def apply_environment(env, cwd):
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)


def parse(env, cwd):
    """Parses the project as dbt would for a run, keeping the manifest and the folders it
    read. The adapter dbt registers for it is dropped again: no connection, no lock."""
    global manifest, fingerprint, input_paths
    send({"event": "parsing"})
    started = time.monotonic()
    started_ns = time.time_ns()
    manifest = None
    parse_env = dict(env)
    parse_env["DBT_TARGET_PATH"] = os.path.join(WORKER_DIR, "parse", "target")
    parse_env["DBT_LOG_PATH"] = os.path.join(WORKER_DIR, "parse", "logs")
    apply_environment(parse_env, cwd)
    reason = ""
    try:
        from dbt.cli.main import dbtRunner
        factory = dbt.adapters.factory.FACTORY
        # Not dbt's static parser: it starts a Rust (rayon) thread pool, and a child forked
        # after that hangs for ever in its first parse (a run with --vars, say).
        # Writing manifest.json here, as `dbt parse` does, also builds the serializers each
        # run needs for its own manifest.json (mashumaro compiles them on first use): once
        # here, not once per child before its first node.
        result = dbtRunner().invoke(["parse", "--quiet", "--no-static-parser"])
        config = next(iter(factory.adapters.values())).config if factory.adapters else None
        if result.success and result.result is not None and config is not None:
            paths = []
            for attribute in ("model_paths", "seed_paths", "test_paths", "macro_paths",
                              "snapshot_paths", "analysis_paths", "docs_paths",
                              "function_paths"):
                paths.extend(getattr(config, attribute, None) or [])
            paths.append(getattr(config, "packages_install_path", "dbt_packages"))
            input_paths = sorted({os.path.relpath(os.path.join(cwd, p), cwd) for p in paths})
            env_read = set(getattr(result.result, "env_vars", {}) or {})
            if env_read & set(PER_RUN_VARIABLES):
                reason = "the project reads a per-run variable at parse time"
            else:
                manifest = result.result
        else:
            reason = str(result.exception or "dbt parse did not succeed")
    except BaseException as exc:  # noqa: BLE001 - a broken project must not stop the worker
        reason = f"{type(exc).__name__}: {exc}"
    finally:
        dbt.adapters.factory.FACTORY.reset_adapters()
        close_dbt_log()
    fingerprint = project_fingerprint(env, cwd) if manifest is not None else None
    # Taken after the parse: a file changed while dbt parsed (after dbt read it, maybe) would
    # match it with the old text in the manifest. Such a manifest is never handed out.
    if manifest is not None and changed_since(fingerprint, started_ns - CHANGE_MARGIN_NS):
        manifest = None
        fingerprint = None
        reason = "a project file changed while dbt parsed it"
    send({"event": "parsed", "ok": manifest is not None,
          "seconds": round(time.monotonic() - started, 3), "reason": reason[:500]})


def close_dbt_log():
    """Closes the log files dbt opened for the parse: no descriptor of the worker's own
    goes into a run's process."""
    try:
        from dbt_common.events.event_manager_client import cleanup_event_logger, get_event_manager
        for logger in list(get_event_manager().loggers):
            python_logger = getattr(logger, "_python_logger", None)
            for handler in list(getattr(python_logger, "handlers", [])):
                handler.close()
                python_logger.removeHandler(handler)
        cleanup_event_logger()
    except Exception:  # noqa: BLE001 - another dbt-common: the child's own set-up replaces them
        pass


def changed_since(keys, ns):
    return any(key[1] is not None and key[2] >= ns for key in keys[0])


def takes_warm_manifest(argv, env, cwd):
    if manifest is None:
        return False
    for word in argv:
        name = word.split("=", 1)[0]
        if name in PARSE_FLAGS:
            return False
    return fingerprint == project_fingerprint(env, cwd)


# --- runs ---------------------------------------------------------------------------------

children = {}  # pid -> (run_id, pidfd)


# dagctld starts the worker with DAGCTL_RUN_ID set to this placeholder, as long as a run id.
RUN_ID_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"


def show_run_id(run_id):
    """Writes the run's id over the placeholder in this process's original environment
    block, which is what /proc/PID/environ shows (os.environ's changes are not): a forked
    run is found by DAGCTL_RUN_ID=<its id> exactly like a cold dbt (docs/runs.md#crash-safety).
    That block is this child's own copy, and nothing points into it any more."""
    if len(run_id) != len(RUN_ID_PLACEHOLDER) or LIBC is None:
        return
    try:
        import ctypes
        with open("/proc/self/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        env_start = int(fields[47])  # field 50 (fields count from 3 after the name)
        with open("/proc/self/environ", "rb") as f:
            block = f.read()
        needle = b"DAGCTL_RUN_ID=" + RUN_ID_PLACEHOLDER.encode()
        at = 0 if block.startswith(needle) else block.find(b"\0" + needle) + 1
        if at < 0 or (at == 0 and not block.startswith(needle)):
            return
        ctypes.memmove(env_start + at + len("DAGCTL_RUN_ID="), run_id.encode(), len(run_id))
    except Exception:  # noqa: BLE001 - then only the pid dagctld records finds this run
        pass


def child_main(argv, env, cwd, output_fd, use_manifest):
    """In the forked child: become the run's dbt process and never return."""
    code = 2
    try:
        os.setpgid(0, 0)
        try:  # die with the worker rather than run on unsupervised
            LIBC.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except Exception:  # noqa: BLE001
            pass
        if os.getppid() != WORKER_PID:  # the worker died before the line above
            os._exit(2)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        os.close(null)
        os.close(output_fd)
        os.close(SOCKET_FD)
        for _, other in children.values():  # other runs' pidfds are theirs
            os.close(other)
        apply_environment(env, cwd)
        show_run_id(env.get("DAGCTL_RUN_ID", ""))
        sys.argv = ["dbt"] + argv
        obj = {"manifest": manifest if use_manifest else None, "callbacks": [],
               "dbt_runner_command_args": list(argv)}
        try:
            dbt_cli.main(args=list(argv), prog_name="dbt", obj=obj)
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except KeyboardInterrupt:
        code = 130
    except BaseException:  # noqa: BLE001
        import traceback
        traceback.print_exc()
        code = 2
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def start_run(message, fds):
    run_id = message.get("run_id", "")
    if len(fds) != 1:
        for fd in fds:
            os.close(fd)
        send({"event": "refused", "run_id": run_id, "reason": "no output file came with the run"})
        return
    output_fd = fds[0]
    argv = [str(a) for a in message["argv"]]
    env = {str(k): str(v) for k, v in message["env"].items()}
    cwd = str(message["cwd"])
    try:
        use_manifest = takes_warm_manifest(argv, env, cwd)
        if manifest is not None and not use_manifest and not any(
                w.split("=", 1)[0] in PARSE_FLAGS for w in argv):
            parse(env, cwd)  # stale: never hand a run an old manifest
            use_manifest = takes_warm_manifest(argv, env, cwd)
    except OSError as exc:
        os.close(output_fd)
        send({"event": "refused", "run_id": run_id, "reason": f"the project cannot be read: {exc}"})
        return
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        child_main(argv, env, cwd, output_fd, use_manifest)
    os.close(output_fd)
    try:  # also here, so the group exists before dagctld looks (the child does the same)
        os.setpgid(pid, pid)
    except OSError:
        pass
    pidfd = os.pidfd_open(pid)
    children[pid] = (run_id, pidfd)
    send({"event": "started", "run_id": run_id, "warm_manifest": use_manifest}, [pidfd])


def reap(pid):
    run_id, pidfd = children.pop(pid)
    # Like dagctld's own children: whatever is left of the run's group goes with it.
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    _, status = os.waitpid(pid, 0)
    os.close(pidfd)
    message = {"event": "exited", "run_id": run_id}
    if os.WIFSIGNALED(status):
        message["signal"] = os.WTERMSIG(status)
    else:
        message["exit_code"] = os.WEXITSTATUS(status)
    return message


def main():
    global WORKER_DIR, WORKER_PID
    WORKER_DIR = os.environ.get("DAGCTL_WARM_DIR", os.getcwd())
    WORKER_PID = os.getpid()
    # The script's memfd (fd 4, already read): no run's process may inherit it.
    try:
        os.close(SCRIPT_FD)
    except OSError:
        pass
    env = dict(os.environ)
    cwd = os.getcwd()
    # dagctld stops runs itself; a Ctrl-C meant for a terminal never reaches this group.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Our own pidfd: in a sandbox's pid namespace our pid means nothing to dagctld.
    own = os.pidfd_open(os.getpid())
    send({"event": "hello", "dbt_version": DBT_VERSION, "python": sys.version.split()[0],
          "watch": watched_files()}, [own])
    os.close(own)
    preload()
    parse(env, cwd)
    last_env = env
    open_socket = True
    while open_socket or children:
        readers = [pidfd for _, pidfd in children.values()]
        if open_socket:
            readers.append(SOCKET_FD)
        ready, _, _ = select.select(readers, [], [])
        for pid, (_, pidfd) in list(children.items()):
            if pidfd in ready:
                ended = reap(pid)
                if open_socket:
                    send(ended)
                    # Ready before the next run needs it: re-parse what changed.
                    try:
                        if manifest is None or fingerprint != project_fingerprint(last_env, cwd):
                            parse(last_env, cwd)
                    except OSError:
                        pass
        if open_socket and SOCKET_FD in ready:
            try:
                message, fds = receive()
            except (OSError, ValueError):
                message, fds = None, []
            if message is None:
                open_socket = False
                continue
            if message.get("op") == "run":
                last_env = {str(k): str(v) for k, v in message.get("env", {}).items()}
                start_run(message, fds)
            else:
                for fd in fds:
                    os.close(fd)


WORKER_DIR = ""
WORKER_PID = 0
if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        pass
