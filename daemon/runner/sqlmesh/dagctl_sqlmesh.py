# dagctl's SQLMesh plugin (docs/sqlmesh.md).
#
# dagctld runs a SQLMesh command as `<sqlmesh's interpreter> /proc/self/fd/3 <args after
# "sqlmesh">`, fd 3 being this script in a sealed memfd. It runs SQLMesh's own command line
# (sqlmesh.cli.main.cli, as the `sqlmesh` entry point does) and exits with its exit code;
# SQLMesh's console text still goes to stdout/stderr (the run's log). Besides, it records
# what dagctl reads from dbt runs:
#   $DAGCTL_SQLMESH_LOG     JSON lines in dbt's structured-log shape (NodeStart,
#                           NodeFinished, ConcurrencyLine, MainEncounteredError,
#                           CommandCompleted), one per model / audit / unit test;
#   $DAGCTL_SQLMESH_TARGET  run_results.json (dbt's shape) and, for plans, plan.json.
# It records by subclassing the console SQLMesh's CLI creates, so SQLMesh behaves as usual.
# Standard library and SQLMesh only; a failure of the recording never stops SQLMesh.

import os
import sys

SCRIPT_FD_PATH = "/proc/self/fd/3"

# Close the script's memfd first thing, so SQLMesh and its children never inherit it.
if sys.argv and sys.argv[0] == SCRIPT_FD_PATH:
    try:
        os.close(3)
    except OSError:
        pass

import datetime  # noqa: E402
import json  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import uuid  # noqa: E402

MESSAGE_LINES = 6  # a failure's message keeps its first lines (the log has the rest)
MESSAGE_CHARS = 2000
COMMANDS = ("run", "plan", "audit", "test", "janitor")  # the ones dagctl runs


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def short_message(text):
    lines = [line.rstrip() for line in str(text).strip().splitlines() if line.strip()]
    out = "\n".join(lines[:MESSAGE_LINES])
    return out[:MESSAGE_CHARS]


def write_json_atomically(path, value):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def note(message):
    """A problem of the recording itself: said once on stderr, never raised into SQLMesh."""
    try:
        sys.stderr.write(f"dagctl: {message}\n")
        sys.stderr.flush()
    except Exception:
        pass


class Node:
    def __init__(self, unique_id, name, resource_type):
        self.unique_id = unique_id
        self.name = name
        self.resource_type = resource_type
        self.started_at = utc_now()
        self.started = time.monotonic()
        self.thread = threading.current_thread().name
        self.finished_at = None
        self.execution_time = 0.0
        self.status = None
        self.message = None
        self.rows = None
        self.failures = None
        # models: batches to run, batches done, a batch failed, warnings of non-blocking audits
        self.batches = 0
        self.done = 0
        self.failed_batch = False
        self.warnings = []

    def info(self):
        info = {
            "unique_id": self.unique_id,
            "node_name": self.name,
            "resource_type": self.resource_type,
            "node_started_at": self.started_at,
        }
        if self.status is not None:
            info["node_status"] = self.status
            info["node_finished_at"] = self.finished_at
        return info

    def adapter_response(self):
        return {"rows_affected": self.rows} if self.rows is not None else {}


class Recorder:
    """The events and result files of one invocation. Thread-safe: SQLMesh evaluates models
    on a pool of threads."""

    def __init__(self, log_path, target_dir, version):
        self.invocation_id = str(uuid.uuid4())
        self.version = version
        self.target_dir = target_dir
        self.started = time.monotonic()
        self.lock = threading.RLock()
        self.nodes = {}  # unique_id -> Node, in start order
        self.which = None
        self.node_count = 0
        self.plan = None
        self.main_errors = []
        self.finished = False
        self.interrupted = False  # SIGINT stopped SQLMesh (click then exits 1, "Aborted!")
        self.log = None
        if log_path:
            try:
                self.log = open(log_path, "a", encoding="utf-8")
            except OSError as e:
                note(f"cannot open DAGCTL_SQLMESH_LOG {log_path}: {e}")

    # -- JSON lines ------------------------------------------------------------------------
    def emit(self, name, data):
        if self.log is None:
            return
        line = {
            "info": {
                "name": name,
                "ts": utc_now(),
                "thread": threading.current_thread().name,
                "invocation_id": self.invocation_id,
            },
            "data": data,
        }
        with self.lock:
            try:
                self.log.write(json.dumps(line, default=str) + "\n")
                self.log.flush()
            except (OSError, ValueError) as e:
                note(f"cannot write DAGCTL_SQLMESH_LOG: {e}")
                self.log = None

    def add_to_count(self, n):
        with self.lock:
            self.node_count += n
            self.emit("ConcurrencyLine", {"node_count": self.node_count})

    def start(self, unique_id, name, resource_type):
        with self.lock:
            node = self.nodes.get(unique_id)
            if node is None:
                node = Node(unique_id, name, resource_type)
                self.nodes[unique_id] = node
                self.emit("NodeStart", {"node_info": node.info()})
            return node

    def finish(self, node, status, message=None):
        with self.lock:
            if node.status is not None:
                return
            node.status = status
            node.message = message
            node.finished_at = utc_now()
            node.execution_time = round(time.monotonic() - node.started, 6)
            result = {
                "status": status,
                "execution_time": node.execution_time,
                "message": message,
                "thread": node.thread,
                "adapter_response": node.adapter_response(),
            }
            if node.resource_type in ("audit", "unit_test"):
                result["num_failures"] = node.failures
            self.emit("NodeFinished", {"node_info": node.info(), "run_result": result})

    def main_error(self, exc):
        with self.lock:
            if any(exc is seen for seen in self.main_errors):
                return
            self.main_errors.append(exc)
            # A run or plan whose models failed also ends in an error ("Run failed."); the
            # failed nodes already say why, so only errors outside nodes are reported.
            if any(n.status == "error" for n in self.nodes.values()):
                return
            text = short_message(f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc))
            self.emit("MainEncounteredError", {"exc": text or type(exc).__name__})

    # -- end of the invocation ---------------------------------------------------------------
    def complete(self, success):
        interrupted = self.interrupted
        if self.which is None:  # click stopped before SQLMesh's CLI ran (a usage error)
            self.which = next((a for a in sys.argv[1:] if a in COMMANDS), None)
        with self.lock:
            if self.finished:
                return
            self.finished = True
            for node in list(self.nodes.values()):
                # A node a SIGINT cut short stays unfinished: dagctl records it `interrupted`
                # when the run ends, as for dbt (docs/runs.md, Node records).
                if node.status is None and not interrupted:
                    self.finish(node, "error", "a batch failed" if node.failed_batch else "did not finish")
            self.emit("CommandCompleted", {"success": bool(success)})
            self.write_files()
            if self.log is not None:
                try:
                    self.log.close()
                except OSError:
                    pass
                self.log = None

    def write_files(self):
        if not self.target_dir:
            return
        results = []
        for node in self.nodes.values():
            if node.status is None:  # cut short by a SIGINT: no result, as dbt writes none
                continue
            results.append(
                {
                    "unique_id": node.unique_id,
                    "name": node.name,
                    "resource_type": node.resource_type,
                    "status": node.status,
                    "execution_time": node.execution_time,
                    "message": node.message,
                    "thread_id": node.thread,
                    "timing": [
                        {
                            "name": "execute",
                            "started_at": node.started_at,
                            "completed_at": node.finished_at,
                        }
                    ],
                    "adapter_response": node.adapter_response(),
                    "failures": node.failures,
                }
            )
        run_results = {
            "metadata": {
                "invocation_id": self.invocation_id,
                "generated_at": utc_now(),
                "sqlmesh_version": self.version,
            },
            "args": {"which": self.which},
            "elapsed_time": round(time.monotonic() - self.started, 6),
            "results": results,
        }
        try:
            write_json_atomically(os.path.join(self.target_dir, "run_results.json"), run_results)
            if self.which == "plan" and self.plan is not None:
                write_json_atomically(os.path.join(self.target_dir, "plan.json"), self.plan)
        except OSError as e:
            note(f"cannot write to DAGCTL_SQLMESH_TARGET {self.target_dir}: {e}")


RECORDER = None


def guarded(fn):
    """Runs a recording step; its own failure is noted, never raised into SQLMesh."""

    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception:
            note("recording failed: " + traceback.format_exc(limit=3).strip().replace("\n", " | "))
            return None

    return run


# -- models (scheduler) ------------------------------------------------------------------------
def model_name(snapshot, default_catalog, dialect):
    """The model's name as SQLMesh shows it in prod (no environment suffix), unquoted."""
    from sqlmesh.core.environment import EnvironmentNamingInfo

    return snapshot.display_name(EnvironmentNamingInfo(), default_catalog, dialect=dialect)


class Models:
    """Turns the scheduler's console calls into one node per model across its batches."""

    def __init__(self, recorder):
        self.rec = recorder
        self.names = {}  # snapshot.name (fully qualified) -> display name
        self.batches = {}  # snapshot.name -> batches to evaluate
        self.current = threading.local()  # the snapshot a worker thread evaluates

    def node(self, name):
        return self.rec.nodes.get(f"model.{name}")

    @guarded
    def evaluation_started(self, batched_intervals, default_catalog, dialect):
        new = 0
        with self.rec.lock:
            for snapshot, intervals in batched_intervals.items():
                if not intervals:
                    continue
                if snapshot.name not in self.names:
                    self.names[snapshot.name] = model_name(snapshot, default_catalog, dialect)
                    new += 1
                self.batches[snapshot.name] = self.batches.get(snapshot.name, 0) + len(intervals)
        if new:
            self.rec.add_to_count(new)

    @guarded
    def batch_started(self, snapshot):
        self.current.name = snapshot.name
        name = self.names.get(snapshot.name) or snapshot.name
        node = self.rec.start(f"model.{name}", name, "model")
        node.batches = self.batches.get(snapshot.name, 1)

    @guarded
    def batch_done(self, snapshot, duration_ms, audits_failed, execution_stats):
        name = self.names.get(snapshot.name) or snapshot.name
        node = self.node(name)
        if node is None:
            return
        with self.rec.lock:
            rows = getattr(execution_stats, "total_rows_processed", None)
            if rows is not None:
                node.rows = (node.rows or 0) + int(rows)
            if duration_ms is None:
                # The batch raised; log_failed_models says why, right after the batches.
                node.failed_batch = True
                return
            node.done += 1
            if node.done < node.batches or node.failed_batch:
                return
            if audits_failed or node.warnings:
                message = "; ".join(node.warnings) or f"{audits_failed} non-blocking audit(s) failed"
                self.rec.finish(node, "warn", short_message(message))
            else:
                self.rec.finish(node, "success")

    @guarded
    def warning(self, short, long):
        name = getattr(self.current, "name", None)
        node = self.node(self.names.get(name, "")) if name else None
        if node is not None and node.status is None:
            text = short_message(short or long or "")
            if text:
                node.warnings.append(text)

    @guarded
    def skipped(self, snapshot_names):
        for fq in sorted(snapshot_names):
            name = self.names.get(fq) or fq
            node = self.node(name)
            if node is not None and (node.status is not None or node.failed_batch):
                continue
            node = node or self.rec.start(f"model.{name}", name, "model")
            done = f" ({node.done} of {node.batches} batches ran)" if node.done else ""
            self.rec.finish(node, "skipped", f"skipped: an upstream model failed{done}")

    @guarded
    def failed(self, errors):
        for error in errors:
            fq = getattr(getattr(error, "node", None), "snapshot_name", None)
            if fq is None:
                continue
            name = self.names.get(fq) or fq
            node = self.node(name) or self.rec.start(f"model.{name}", name, "model")
            self.rec.finish(node, "error", failure_message(error))


def failure_message(error):
    """What failed, from a NodeExecutionFailedError: the audits that failed or the error."""
    cause = error.__cause__ or error
    audit_errors = getattr(cause, "errors", None)
    if audit_errors and type(cause).__name__ == "NodeAuditsErrors":
        parts = []
        for audit_error in audit_errors:
            parts.append(
                f"audit {getattr(audit_error, 'audit_name', '?')} failed: "
                f"{getattr(audit_error, 'count', '?')} row(s)"
            )
        return short_message("; ".join(parts))
    text = str(cause)
    if type(cause).__name__ == "PythonModelEvalError":
        # A Python model's traceback: its last line is the exception raised.
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return short_message(lines[-1] if lines else text)
    return short_message(f"{type(cause).__name__}: {text}")


# -- the console SQLMesh's CLI creates, recording as well ------------------------------------
def recording_console_class(base, models, recorder):
    class RecordingConsole(base):
        def start_evaluation_progress(self, batched_intervals, environment_naming_info,
                                      default_catalog, *args, **kwargs):
            out = super().start_evaluation_progress(
                batched_intervals, environment_naming_info, default_catalog, *args, **kwargs
            )
            models.evaluation_started(batched_intervals, default_catalog, getattr(self, "dialect", None))
            return out

        def start_snapshot_evaluation_progress(self, snapshot, *args, **kwargs):
            models.batch_started(snapshot)
            return super().start_snapshot_evaluation_progress(snapshot, *args, **kwargs)

        def update_snapshot_evaluation_progress(self, snapshot, interval, batch_idx, duration_ms,
                                                num_audits_passed, num_audits_failed, *args,
                                                **kwargs):
            try:
                return super().update_snapshot_evaluation_progress(
                    snapshot, interval, batch_idx, duration_ms, num_audits_passed,
                    num_audits_failed, *args, **kwargs
                )
            finally:
                models.batch_done(snapshot, duration_ms, num_audits_failed,
                                  kwargs.get("execution_stats"))

        def log_warning(self, short_message, long_message=None, *args, **kwargs):
            models.warning(short_message, long_message)
            return super().log_warning(short_message, long_message, *args, **kwargs)

        def log_skipped_models(self, snapshot_names):
            models.skipped(snapshot_names)
            return super().log_skipped_models(snapshot_names)

        def log_failed_models(self, errors):
            models.failed(errors)
            return super().log_failed_models(errors)

        def log_status_update(self, message, *args, **kwargs):
            audit_count(recorder, message)
            return super().log_status_update(message, *args, **kwargs)

        def log_test_results(self, result, target_dialect, *args, **kwargs):
            try:
                return super().log_test_results(result, target_dialect, *args, **kwargs)
            finally:
                record_unit_tests(recorder, result)

        def plan(self, plan_builder, auto_apply, default_catalog, *args, **kwargs):
            applied = []
            apply = plan_builder.apply

            def apply_and_note():
                apply()
                applied.append(True)

            plan_builder.apply = apply_and_note
            try:
                return super().plan(plan_builder, auto_apply, default_catalog, *args, **kwargs)
            finally:
                record_plan(recorder, plan_builder, bool(applied), default_catalog,
                            getattr(self, "dialect", None))

    RecordingConsole.__name__ = RecordingConsole.__qualname__ = f"Dagctl{base.__name__}"
    return RecordingConsole


# -- sqlmesh audit ------------------------------------------------------------------------------
@guarded
def audit_count(recorder, message):
    if recorder.which != "audit" or not isinstance(message, str):
        return
    words = message.split()
    if len(words) == 3 and words[0] == "Found" and words[2] == "audit(s)." and words[1].isdigit():
        recorder.add_to_count(int(words[1]))


def recording_audits(recorder, audit, default_catalog, dialect):
    """Wraps SnapshotEvaluator.audit (a generator of AuditResult) so each audit is a node."""

    def audits(*args, **kwargs):
        snapshot = kwargs.get("snapshot")
        model = None
        if snapshot is not None:
            model = guarded(model_name)(snapshot, default_catalog, dialect)
        started_at, started = utc_now(), time.monotonic()
        for result in audit(*args, **kwargs):
            record_audit(recorder, result, model, started_at, started)
            yield result
            started_at, started = utc_now(), time.monotonic()

    return audits


@guarded
def record_audit(recorder, result, model, started_at, started):
    audit_name = result.audit.name
    name = f"{model}.{audit_name}" if model else audit_name
    node = recorder.start(f"audit.{name}", name, "audit")
    node.started_at, node.started = started_at, started
    if result.skipped:
        recorder.finish(node, "skipped", "skipped")
        return
    count = int(result.count or 0)
    node.failures = count
    if count:
        recorder.finish(node, "fail", f"audit {audit_name} failed: got {count} row(s), expected 0")
    else:
        recorder.finish(node, "pass")


# -- sqlmesh test -------------------------------------------------------------------------------
@guarded
def record_unit_tests(recorder, result):
    # Only `sqlmesh test` has unit test nodes; a plan runs the tests first, and a failing
    # test fails the plan before any model runs (MainEncounteredError says so).
    if recorder.which != "test" or not result.testsRun:
        return
    outcomes = []  # (test, status, message)
    for test in result.successes:
        outcomes.append((test, "pass", None))
    for test, text in result.failures:
        outcomes.append((test, "fail", text))
    for test, text in result.errors:
        outcomes.append((test, "error", text))
    for test, text in result.skipped:
        outcomes.append((test, "skipped", text))
    # Per test, the worst outcome (subtests report several).
    rank = {"pass": 0, "skipped": 1, "fail": 2, "error": 3}
    worst = {}
    for test, status, text in outcomes:
        name = getattr(test, "test_name", None) or str(test)
        if name not in worst or rank[status] > rank[worst[name][0]]:
            worst[name] = (status, text)
    recorder.add_to_count(len(worst))
    for name, (status, text) in worst.items():
        node = recorder.start(f"unit_test.{name}", name, "unit_test")
        node.failures = 0 if status in ("pass", "skipped") else 1
        recorder.finish(node, status, short_message(text) if text else None)


# -- sqlmesh plan -------------------------------------------------------------------------------
@guarded
def record_plan(recorder, plan_builder, applied, default_catalog, dialect):
    try:
        plan = plan_builder.build()  # cached by the builder; raises if the plan was invalid
    except Exception:
        return
    diff = plan.context_diff

    def name_of(snapshot):
        return model_name(snapshot, default_catalog, dialect)

    def names(ids, lookup):
        out = []
        for s_id in ids:
            snapshot = lookup(s_id)
            if snapshot is not None and getattr(snapshot, "is_model", True):
                out.append(name_of(snapshot))
        return sorted(set(out))

    snapshots = diff.snapshots
    indirect = set()
    for ids in plan.indirectly_modified.values():
        indirect.update(ids)
    backfill = []
    for missing in plan.missing_intervals:
        snapshot = snapshots.get(missing.snapshot_id)
        if snapshot is None or not snapshot.is_model:
            continue
        if snapshot.is_incremental:
            intervals = missing.format_intervals(snapshot.node.interval_unit)
        else:
            intervals = "recreate view" if snapshot.is_view else "full refresh"
        backfill.append({"model": name_of(snapshot), "intervals": intervals})
    added = names(diff.added, snapshots.get)
    # SQLMesh counts a new model as directly modified too; the summary lists it once, as added.
    recorder.plan = {
        "environment": plan.environment_naming_info.name,
        "applied": applied,
        "added": added,
        "removed": names(diff.removed_snapshots, diff.removed_snapshots.get),
        "directly_modified": [n for n in names(plan.directly_modified, snapshots.get) if n not in added],
        "indirectly_modified": [n for n in names(indirect, snapshots.get) if n not in added],
        "metadata_updated": names(plan.metadata_updated, snapshots.get),
        "backfill": sorted(backfill, key=lambda b: b["model"]),
    }


# -- wiring -------------------------------------------------------------------------------------
def install(recorder):
    import click
    import sqlmesh.cli as sqlmesh_cli
    import sqlmesh.cli.main as sqlmesh_main
    from sqlmesh.core import console as sqlmesh_console
    from sqlmesh.core.context import Context

    models = Models(recorder)

    def configure_console(**kwargs):
        ctx = click.get_current_context(silent=True)
        if ctx is not None:
            recorder.which = ctx.invoked_subcommand
        if "console" not in kwargs:
            # SQLMesh's own choice of console, printing for a log file: no colour (NO_COLOR),
            # no progress redraws (not a terminal), lines wide enough not to wrap model lines.
            from rich.console import Console as RichConsole
            from sqlmesh.utils import rich as sqlmesh_rich

            rich_kwargs = {"theme": sqlmesh_rich.theme}
            if not sys.stdout.isatty():
                rich_kwargs["force_terminal"] = False
                if "COLUMNS" not in os.environ:
                    rich_kwargs["width"] = kwargs["width"] = 100  # MarkdownConsole takes width
            kwargs["console"] = RichConsole(**rich_kwargs)
        console = sqlmesh_console.create_console(**kwargs)
        try:
            console.__class__ = recording_console_class(type(console), models, recorder)
        except Exception:
            note("recording failed: " + traceback.format_exc(limit=3).strip().replace("\n", " | "))
        sqlmesh_console.set_console(console)

    sqlmesh_main.configure_console = configure_console

    def recording_handler(handler):
        def run(context, func):
            def func_noting_errors():
                try:
                    return func()
                except (click.exceptions.Exit, click.exceptions.Abort):
                    raise
                except KeyboardInterrupt:
                    recorder.interrupted = True
                    raise
                except Exception as e:
                    guarded(recorder.main_error)(e)
                    raise

            return handler(context, func_noting_errors)

        return run

    # Errors click reports itself (usage errors, ClickException raised outside SQLMesh's
    # error handler) are seen when click shows them.
    def noting(show):
        def show_and_note(self, *args, **kwargs):
            guarded(recorder.main_error)(self)
            return show(self, *args, **kwargs)

        return show_and_note

    for value in list(vars(click.exceptions).values()):
        if isinstance(value, type) and issubclass(value, click.exceptions.ClickException) \
                and "show" in vars(value):
            value.show = noting(value.show)

    sqlmesh_cli._default_exception_handler = recording_handler(sqlmesh_cli._default_exception_handler)
    sqlmesh_cli._debug_exception_handler = recording_handler(sqlmesh_cli._debug_exception_handler)

    context_audit = Context.audit

    def audit(self, *args, **kwargs):
        evaluator = self.snapshot_evaluator
        evaluator.audit = recording_audits(
            recorder, evaluator.audit, self.default_catalog,
            getattr(self.config.model_defaults, "dialect", None),
        )
        try:
            return context_audit(self, *args, **kwargs)
        finally:
            del evaluator.audit

    Context.audit = audit


def main():
    # As the `sqlmesh` entry point: its name in usage texts, no script folder on sys.path.
    sys.argv[0] = "sqlmesh"
    if sys.path and sys.path[0] in ("/proc/self/fd", os.path.dirname(os.path.abspath(__file__))):
        del sys.path[0]

    from sqlmesh.cli.main import cli  # SQLMesh is imported before anything of the project

    try:
        from sqlmesh import __version__ as version
    except ImportError:
        version = "unknown"

    global RECORDER
    recorder = Recorder(os.environ.get("DAGCTL_SQLMESH_LOG"), os.environ.get("DAGCTL_SQLMESH_TARGET"),
                        version)
    RECORDER = recorder
    recorder.emit("MainReportVersion", {"version": version, "tool": "sqlmesh"})
    try:
        install(recorder)
    except Exception:
        note("recording is off: " + traceback.format_exc(limit=3).strip().replace("\n", " | "))

    code = 1
    try:
        cli()  # click's standalone mode: always ends in SystemExit
        code = 0
    except SystemExit as e:
        if e.code is None:
            code = 0
        elif isinstance(e.code, int):
            code = e.code
        else:
            code = 1
        raise
    except KeyboardInterrupt:
        recorder.interrupted = True
        raise
    except BaseException as e:
        guarded(recorder.main_error)(e)
        raise
    finally:
        guarded(recorder.complete)(code == 0)


if __name__ == "__main__":
    main()
