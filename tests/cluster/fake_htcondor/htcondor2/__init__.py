"""A stand-in for the ``htcondor2`` bindings: a one-machine "pool" for testing the HTCondor profile.

Put ``tests/cluster/fake_htcondor`` first on PYTHONPATH. ``Schedd.submit`` records the submit
description (JSON lines in $FAKE_CONDOR_RECORD) and runs the job right away, in the foreground,
with the description's executable, arguments and environment; ``query``/``history`` report it
completed with its exit code. No event log is written, so snakemake-executor-plugin-htcondor
falls back to schedd queries. Real matchmaking, file transfer and held jobs are not emulated.
"""

from __future__ import annotations

import enum
import json
import os
import shlex
import subprocess
import threading

_LOCK = threading.Lock()
_JOBS: dict[int, dict] = {}
_NEXT = [1000]


class JobEventType(enum.Enum):
    SUBMIT = 0
    EXECUTE = 1
    EXECUTABLE_ERROR = 2
    CHECKPOINTED = 3
    JOB_EVICTED = 4
    JOB_TERMINATED = 5
    IMAGE_SIZE = 6
    SHADOW_EXCEPTION = 7
    GENERIC = 8
    JOB_ABORTED = 9
    JOB_SUSPENDED = 10
    JOB_UNSUSPENDED = 11
    JOB_HELD = 12
    JOB_RELEASED = 13
    JOB_DISCONNECTED = 22
    JOB_RECONNECTED = 23
    JOB_RECONNECT_FAILED = 24
    FILE_TRANSFER = 40


class JobAction(enum.Enum):
    Remove = 3


class JobEventLog:
    def __init__(self, path):
        raise OSError("fake htcondor2 writes no event log")


class Submit(dict):
    def issue_credentials(self):
        return None


class _Result:
    def __init__(self, cluster):
        self._cluster = cluster

    def cluster(self):
        return self._cluster


def _parse_environment(text: str) -> dict:
    env = {}
    for item in shlex.split(text or ""):
        if "=" in item:
            key, value = item.split("=", 1)
            env[key] = value
    return env


class Schedd:
    def submit(self, description, count=1, spool=False):
        desc = dict(description)
        with _LOCK:
            cluster = _NEXT[0]
            _NEXT[0] += 1
        record = os.environ.get("FAKE_CONDOR_RECORD")
        if record:
            with _LOCK, open(record, "a") as f:
                f.write(json.dumps({"cluster": cluster, **{k: str(v) for k, v in desc.items()}}) + "\n")
        env = dict(os.environ)
        env.update(_parse_environment(desc.get("environment", "")))
        env["_CONDOR_CLUSTER_ID"] = str(cluster)
        out = desc["output"].replace("$(ClusterId)", str(cluster))
        err = desc["error"].replace("$(ClusterId)", str(cluster))
        cmd = [desc["executable"], *shlex.split(desc.get("arguments", ""))]
        with open(out, "w") as fo, open(err, "w") as fe:
            rc = subprocess.run(cmd, stdout=fo, stderr=fe, env=env).returncode
        _JOBS[cluster] = {"ClusterId": cluster, "JobStatus": 4, "ExitCode": rc,
                          "ExitBySignal": False, "ExitSignal": None, "HoldReason": None,
                          "EnteredCurrentStatus": 0}
        return _Result(cluster)

    def query(self, constraint="", projection=(), **kwargs):
        ids = {int(x) for x in constraint.replace("ClusterId ==", " ").replace("||", " ").split()}
        return [dict(j) for c, j in _JOBS.items() if c in ids]

    def history(self, constraint="", projection=(), **kwargs):
        return self.query(constraint, projection)

    def act(self, action, job_ids, **kwargs):
        return None
