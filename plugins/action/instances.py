# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of maestro.ng.instances: on a ``local`` connection the instances converge in
this process (no module is started); on any other the module runs on the host, which gets only
the registry credentials its specs' images need."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.maestro.ng.plugins.module_utils.docker import registries
from ansible_collections.maestro.ng.plugins.module_utils.docker.instances_args import INSTANCES_SPEC, converge_many


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        try:
            known = registries.from_option(self._task.args.get("registries"))
        except ValueError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        if self._connection.transport != "local":
            args = dict(self._task.args)
            images = {spec.get("image") for spec in args.get("specs") or [] if isinstance(spec, dict)}
            wanted = {}
            for image in images:
                wanted.update(registries.for_image(image, known) or {})
            args["registries"] = wanted or None
            result.update(
                self._execute_module(module_name="maestro.ng.instances", module_args=args, task_vars=task_vars)
            )
            return result

        params = self.validate_argument_spec(argument_spec=INSTANCES_SPEC)[1]
        # On a ship host of the maestro.ng.maestro inventory, the ship's Docker API is what the
        # host stands for: Ansible reports it UNREACHABLE, as for a host it cannot log in to.
        lost_is_unreachable = (task_vars or {}).get("maestro_docker_url") == params["docker_url"]
        result.update(
            converge_many(
                params,
                known,
                check_mode=bool(self._task.check_mode),
                diff=bool(self._task.diff),
                unreachable=lost_is_unreachable,
            )
        )
        return result
