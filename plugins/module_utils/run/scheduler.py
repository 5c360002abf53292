# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a graph of steps: each begins as soon as every step it waits for is done.

Knows nothing of Docker or of commands: ``begin`` turns the steps that just became ready into
work (a function to run in a thread, or its outcome at once when there is nothing to wait for),
``end`` takes each outcome in the calling thread, in the order they come, and ``halted`` says
when no further step may begin (a failure, an interrupt). The steps that never began are
returned, for the caller to say why.
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Callable, Optional, Sequence

from ..defaults import MAX_THREADS
from ..model.schedule import Step

# What begin() makes of a ready step: a function whose return value is its outcome, or the outcome.
Work = Any


def run_steps(
    steps: Sequence[Step],
    begin: Callable[[list[int]], list[Work]],
    end: Callable[[int, Any], None],
    halted: Callable[[], bool],
    at_most: Optional[int] = None,
) -> list[int]:
    """Run ``steps`` (each after the indexes in its ``after``), at most ``at_most`` at once; the
    indexes of those that never began, in order."""
    finished: set[int] = set()
    pending = list(range(len(steps)))
    running: dict[Future, int] = {}
    room = at_most or len(steps) or 1
    with ThreadPoolExecutor(max(1, min(room, MAX_THREADS))) as pool:
        while True:
            ready = []
            if not halted():
                ready = [i for i in pending if finished.issuperset(steps[i].after)][: room - len(running)]
            if ready:
                pending = [i for i in pending if i not in ready]
                for index, work in zip(ready, begin(ready)):
                    if callable(work):
                        running[pool.submit(work)] = index
                    else:  # done at once: its dependents may be ready now
                        end(index, work)
                        finished.add(index)
                continue
            if not running:
                return pending
            done, _waiting = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                index = running.pop(future)
                end(index, future.result())
                finished.add(index)
