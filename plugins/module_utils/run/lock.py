# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One changing run per environment at a time on this controller.

A lock file per environment name in the user's cache folder
($XDG_CACHE_HOME/maestro.ng/locks, else ~/.cache/maestro.ng/locks), held with flock(2)
for the length of the run: the kernel releases it when the holder exits, however it
exits (even kill -9), so a lock is never left stale. The holder writes its pid and
command line into it, so that a waiting run can say who it waits for.

Runs from different controllers do not see each other's lock; they are made safe by
the engine's level-triggered convergence (a container another run created, started,
stopped or removed meanwhile is read again and converged from what is there).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import time
from typing import Any, Callable, Optional

from ..action_specs import ORCHESTRATE_SPEC

# The orchestrate option's default (-e lock_timeout=SECONDS).
LOCK_TIMEOUT = float(ORCHESTRATE_SPEC["lock_timeout"]["default"])
POLL_SECONDS = 0.2


class LockTimeout(Exception):
    """The environment stayed locked by another run for longer than the timeout."""


def cache_folder() -> str:
    """This controller's folder of the collection's run files (locks, timings.py's records)."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "maestro.ng")


def file_name(environment: str) -> str:
    """The environment's name as a file name: only safe characters."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", environment) or "_"


def lock_folder() -> str:
    return os.path.join(cache_folder(), "locks")


def lock_path(environment: str, folder: Optional[str] = None) -> str:
    """The lock file of the environment named ``environment``."""
    return os.path.join(folder or lock_folder(), file_name(environment) + ".lock")


def command_of(pid: int) -> str:
    """The command line of process ``pid`` (Linux /proc), as a user typed it."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            words = [w.decode("utf-8", "replace") for w in handle.read().split(b"\0") if w]
    except OSError:
        return "?"
    if len(words) > 1 and os.path.basename(words[0]).startswith("python"):
        words = words[1:]  # the interpreter of a script
    if words:
        words[0] = os.path.basename(words[0])
    text = " ".join(words)
    return text if len(text) <= 200 else text[:197] + "..."


class EnvironmentLock:
    """``with EnvironmentLock("demo", timeout=300, on_wait=print): ...``

    ``owner``: the pid to name as the holder (default: this process; Ansible's task worker
    names the ansible-playbook process it runs for). ``on_wait`` is called once, with a
    line naming the holder, when the lock is taken by another run.
    """

    def __init__(
        self,
        environment: str,
        timeout: Optional[float] = LOCK_TIMEOUT,
        on_wait: Optional[Callable[[str], None]] = None,
        owner: Optional[int] = None,
        folder: Optional[str] = None,
    ):
        self.environment = environment
        self.timeout = LOCK_TIMEOUT if timeout is None else float(timeout)
        self.on_wait = on_wait or (lambda line: None)
        self.owner = owner or os.getpid()
        self.path = lock_path(environment, folder)
        self._fd: Optional[int] = None

    def holder(self) -> dict[str, Any]:
        """{pid, command, since} of the run holding the lock, as it wrote them ({} if unknown)."""
        try:
            with open(self.path, encoding="utf-8") as handle:
                return json.loads(handle.read() or "{}")
        except (OSError, ValueError):
            return {}

    def _describe(self, holder):
        if not holder.get("pid"):
            return "another run"
        return "pid %s (%s) since %s" % (holder["pid"], holder.get("command") or "?", holder.get("since") or "?")

    def acquire(self, cancelled: Optional[Callable[[], Any]] = None) -> bool:
        """Wait for the lock (up to the timeout; raise LockTimeout then); False when
        ``cancelled()`` became true while waiting, True once held."""
        os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.timeout
        said = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = self._describe(self.holder())
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise LockTimeout(
                        "environment %s is locked by another run on this controller: %s; gave up after "
                        "%gs (-e lock_timeout=SECONDS; lock file %s)"
                        % (self.environment, holder, self.timeout, self.path)
                    ) from None
                if not said:
                    self.on_wait(
                        "environment %s is locked by another run on this controller: %s; waiting up to %gs"
                        % (self.environment, holder, self.timeout)
                    )
                    said = True
                if cancelled and cancelled():
                    os.close(fd)
                    return False
                time.sleep(POLL_SECONDS)
        record = json.dumps(
            {"pid": self.owner, "command": command_of(self.owner), "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        )
        os.ftruncate(fd, 0)
        os.pwrite(fd, record.encode("utf-8"), 0)
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the file releases the flock
            self._fd = None

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc_info):
        self.release()
