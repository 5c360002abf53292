# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Let the ansible-playbook process exit without a last sweep of the garbage collector.

When the interpreter shuts down it tears down every module and runs full garbage
collections over what is left: with ansible-core, the docker SDK and the templating
machinery loaded that is 0.2-0.3 s of CPU after ``PLAY RECAP`` (bench/README.md),
as long as a whole empty playbook's imports. ``gc.freeze()`` at exit moves every
object into the permanent generation, which those collections skip. Nothing else
changes: the objects are going away with the process, open files are still flushed
and closed by the interpreter, and every other exit handler still runs, before or
after this one (objects made after the freeze are collected as usual).
"""

from __future__ import annotations

import atexit
import gc

_registered: list[bool] = []


def install():
    """Register the freeze once per process (idempotent)."""
    if not _registered:
        atexit.register(gc.freeze)
        _registered.append(True)
