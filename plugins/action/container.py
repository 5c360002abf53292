# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of maestro.ng.container.

``spec`` (an instance spec from the lookup or the inventory plugin) is expanded into
the module's options, explicit options winning. On a ``local`` connection the
container is converged in this process, which saves a Python start per task; on
any other connection the module runs on the host as usual (e.g. a ship reached
over SSH, talking to its local Docker socket).
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.maestro.ng.plugins.module_utils.docker import registries
from ansible_collections.maestro.ng.plugins.module_utils.docker.container_args import (
    ARGUMENT_SPEC,
    REQUIRED_IF,
    converge,
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        spec = args.pop("spec", None) or {}
        merged = {key: value for key, value in spec.items() if key in ARGUMENT_SPEC and key != "spec"}
        merged.update(args)
        try:
            known = registries.from_option(merged.get("registries"))
        except ValueError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        if self._connection.transport != "local":
            # The host gets the credentials its pull needs, not every registry's.
            merged["registries"] = registries.for_image(merged.get("image"), known) or None
            result.update(
                self._execute_module(module_name="maestro.ng.container", module_args=merged, task_vars=task_vars)
            )
            return result

        self._task.args = merged
        params = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC, required_if=REQUIRED_IF)[1]
        # On a ship host of the maestro.ng.maestro inventory, the ship's Docker API is what the
        # host stands for: Ansible reports it UNREACHABLE, as for a host it cannot log in to.
        lost_is_unreachable = (task_vars or {}).get("maestro_docker_url") == params["docker_url"]
        result.update(
            converge(
                params,
                known,
                check_mode=bool(self._task.check_mode),
                diff=bool(self._task.diff),
                unreachable=lost_is_unreachable,
            )
        )
        return result
