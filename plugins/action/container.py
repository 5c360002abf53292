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

from ansible_collections.maestro.ng.plugins.module_utils.docker.container_args import (
    ARGUMENT_SPEC,
    REQUIRED_IF,
    converge,
)
from ansible_collections.maestro.ng.plugins.plugin_utils.ship_action import ShipAction


class ActionModule(ShipAction):
    MODULE = "maestro.ng.container"
    ARGUMENT_SPEC = ARGUMENT_SPEC
    REQUIRED_IF = REQUIRED_IF
    converge = staticmethod(converge)

    def arguments(self):
        args = dict(self._task.args)
        spec = args.pop("spec", None) or {}
        merged = {key: value for key, value in spec.items() if key in ARGUMENT_SPEC and key != "spec"}
        merged.update(args)
        return merged

    def images(self, args):
        return [args.get("image")]
