# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the collection's controller-side actions (status, plan, logs, lab, ...)."""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError
from ansible_collections.maestro.ng.plugins.module_utils.model.secrets import hidden
from ansible_collections.maestro.ng.plugins.plugin_utils.common import loaded_secrets


class MaestroAction(ActionBase):
    """What every controller-side action shares: it talks to the ships itself (no
    connection to the inventory host, no file transfer), checks its arguments against
    ``ARGUMENT_SPEC`` (action_specs.py), and a model error becomes the task's one-line
    failure, and no result shows a secret of the environments it loaded. Subclasses write
    ``act(args, task_vars)``, returning the result's fields."""

    TRANSFERS_FILES = False
    _requires_connection = False
    ARGUMENT_SPEC: dict = {}
    # More exceptions whose text is the whole story (a lost ship, a lab error, ...).
    FAILURES: tuple = ()

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)[1]
        try:
            result.update(self.act(args, task_vars or {}))
        except AnsibleError as exc:
            result.update(failed=True, msg=exc.message)
        except (MaestroError,) + self.FAILURES as exc:
            result.update(failed=True, msg=str(exc))
        secrets = loaded_secrets()
        return hidden(result, secrets) if secrets else result

    def act(self, args, task_vars):
        raise NotImplementedError
