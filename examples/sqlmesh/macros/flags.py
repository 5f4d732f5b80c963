import os

from sqlmesh import macro


@macro()
def env_flag(evaluator, name):
    """True when the environment variable is set to something other than "" or "0".

    Read when the query is rendered, that is at evaluation time, so `sqlmesh run` (which
    does not reload the project) still sees the variable of that run.
    """
    key = name.name if hasattr(name, "name") else str(name)
    return os.environ.get(key, "") not in ("", "0")
