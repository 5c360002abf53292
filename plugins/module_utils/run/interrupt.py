# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ctrl-C and SIGTERM during a run: the engine stops between containers.

In the ``maestro`` command the run is the process itself. Under ansible-playbook, how
ansible-core 2.19 delivers them: the worker runs in a session of its own (so the
terminal's Ctrl-C does not reach it), with SIGINT and SIGTERM handlers that kill its
whole process group at once. The ansible-playbook process forwards SIGINT or SIGTERM to
the worker, then terminates it (SIGTERM) from its cleanup and exits at once, without
reading the worker's output any more.

So, for the length of a run, the worker takes both signals itself: the first asks the
engine to stop between containers (those in progress finish, no new one starts, no further
service begins) and the ones after it are noted only. What the run then says goes
straight to ansible-playbook's standard error, opened when the run began, since the
display queue has nobody reading it any more. When the run ends, the worker's own
handlers are back, and its normal exit closes the SSH tunnels it opened.
"""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from typing import Callable, Iterator, Optional

SIGNALS = (signal.SIGINT, signal.SIGTERM)


def controller_stderr() -> Optional[int]:
    """A file descriptor of ansible-playbook's standard error (Linux; None elsewhere)."""
    try:
        return os.open("/proc/%d/fd/2" % os.getppid(), os.O_WRONLY | os.O_APPEND)
    except OSError:
        return None


@contextmanager
def interruptible(on_signal: Callable[[str], None]) -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM call ``on_signal(name)`` instead of ending the
    process (only in the main thread, where Python runs signal handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        on_signal(signal.Signals(signum).name)

    previous = {signum: signal.signal(signum, handler) for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


class Speaker:
    """Progress lines through ``display_line``, and once the run is interrupted (``direct``),
    straight to the file descriptor ``fd`` (ansible-playbook's standard error: its display
    may no longer be read; None: always ``display_line``)."""

    def __init__(self, display_line: Callable[[str], None], fd: Optional[int] = None):
        self.display_line = display_line
        self.fd = fd
        self.direct = False

    def __call__(self, line):
        if self.direct and self.fd is not None:
            try:
                os.write(self.fd, ("%s\n" % line).encode("utf-8", "replace"))
            except OSError:
                pass
        else:
            self.display_line(line)

    def go_direct(self) -> None:
        """From now on, straight to ``fd``."""
        self.direct = True

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
