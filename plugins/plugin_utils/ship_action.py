# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of maestro.ng.container's and maestro.ng.instances' action plugins: on a ``local``
connection the run happens in this process (no module start per task); on any other the module
runs on the host, which gets only the registry credentials its images need."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.maestro.ng.plugins.module_utils.docker import registries


class ShipAction(ActionBase):
    """Subclasses set MODULE, ARGUMENT_SPEC (REQUIRED_IF) and ``converge`` (the engine's run of checked
    options), and say which images the options pull (``images``); ``arguments`` may expand them."""

    TRANSFERS_FILES = False
    MODULE = ""
    ARGUMENT_SPEC: dict = {}
    REQUIRED_IF: list = []

    @staticmethod
    def converge(params, known, check_mode=False, diff=False, unreachable=False):
        raise NotImplementedError

    def arguments(self):
        """The task's arguments as the module takes them."""
        return dict(self._task.args)

    def images(self, args):
        raise NotImplementedError

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.arguments()
        try:
            known = registries.from_option(args.get("registries"))
        except ValueError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        if self._connection.transport != "local":
            wanted = {}
            for image in self.images(args):
                wanted.update(registries.for_image(image, known) or {})
            args["registries"] = wanted or None
            result.update(self._execute_module(module_name=self.MODULE, module_args=args, task_vars=task_vars))
            return result

        self._task.args = args
        params = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC, required_if=self.REQUIRED_IF)[1]
        # On a ship host of the maestro.ng.maestro inventory, the ship's Docker API is what the
        # host stands for: Ansible reports it UNREACHABLE, as for a host it cannot log in to.
        lost_is_unreachable = (task_vars or {}).get("maestro_docker_url") == params["docker_url"]
        result.update(
            self.converge(
                params,
                known,
                check_mode=bool(self._task.check_mode),
                diff=bool(self._task.diff),
                unreachable=lost_is_unreachable,
            )
        )
        return result
