# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side glue shared by the collection's plugins: load an environment
once per process, turn model errors into Ansible errors, read selection options."""

from __future__ import annotations

import io
import os
import sys

from ansible.errors import AnsibleError
from ansible.utils.display import Display

from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError
from ansible_collections.maestro.ng.plugins.module_utils.model import environment, selection
from ansible_collections.maestro.ng.plugins.module_utils.model.secrets import secret_values
from ansible_collections.maestro.ng.plugins.plugin_utils import quick_exit
from ansible_collections.maestro.ng.plugins.plugin_utils.vault import run_vault

quick_exit.install()

display = Display()
_cache: dict[tuple, environment.Environment] = {}  # (absolute path, its mtime) -> its model


def load(path, loader=None):
    """The environment at ``path`` (``-`` = stdin), loaded once per process and file version;
    its vault data opened with the vault secrets of ``loader`` (the plugin's DataLoader)."""
    if path != "-":
        try:
            stamp = os.stat(path).st_mtime_ns
        except OSError:
            stamp = None
        key = (os.path.abspath(path), stamp)
        if key in _cache:
            return _cache[key]
    else:
        key = ("-", None)
        if key in _cache:
            return _cache[key]
    env = environment.load(path, stdin=_stdin(), vault=run_vault(loader) if loader is not None else None)
    for warning in env.warnings:
        display.warning(warning)  # shown once per run: Ansible drops repeated warnings
    _cache[key] = env
    return env


def _stdin():
    # Ansible detaches its workers from stdin; the playbook process (their parent)
    # still has the real one, so read that.
    if sys.stdin is None or sys.stdin.closed:
        try:
            with open("/proc/%d/fd/0" % os.getppid(), encoding="utf-8") as parent_stdin:
                return io.StringIO(parent_stdin.read())
        except OSError:
            pass
    return sys.stdin


def loaded_secrets():
    """The secrets of every environment this process loaded (what no output may show)."""
    return sorted({value for env in _cache.values() for value in secret_values(env)}, key=len, reverse=True)


def load_and_select(args, loader=None, dependents=False):
    """(environment, selected instance names); model errors become one-line AnsibleErrors."""
    try:
        env = load(args["env"], loader)
        return env, selection.select_options(env, args, dependents=dependents)
    except MaestroError as exc:
        raise AnsibleError(str(exc)) from None
