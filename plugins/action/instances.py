# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of maestro.ng.instances: on a ``local`` connection the instances converge in
this process (no module is started); on any other the module runs on the host, which gets only
the registry credentials its specs' images need."""

from __future__ import annotations

from ansible_collections.maestro.ng.plugins.module_utils.docker.instances_args import INSTANCES_SPEC, converge_many
from ansible_collections.maestro.ng.plugins.plugin_utils.ship_action import ShipAction


class ActionModule(ShipAction):
    MODULE = "maestro.ng.instances"
    ARGUMENT_SPEC = INSTANCES_SPEC
    converge = staticmethod(converge_many)

    def images(self, args):
        return sorted({spec.get("image") for spec in args.get("specs") or [] if isinstance(spec, dict)} - {None})
