# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of maestro.ng.logs: one instance's log, its tail, or followed."""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.utils.display import Display

from ansible_collections.maestro.ng.plugins.module_utils.action_specs import LOGS_SPEC
from ansible_collections.maestro.ng.plugins.module_utils.docker_client import (
    DockerException, ShipUnreachable, connect, connection_errors)
from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError
from ansible_collections.maestro.ng.plugins.plugin_utils.action import MaestroAction
from ansible_collections.maestro.ng.plugins.plugin_utils.common import load

display = Display()


class ActionModule(MaestroAction):
    ARGUMENT_SPEC = LOGS_SPEC
    FAILURES = (ShipUnreachable,)

    def act(self, args, task_vars):
        env = load(args["env"])
        name = args["instance"]
        if name not in env.instances:
            raise MaestroError("unknown instance %r (known: %s)" % (name, ", ".join(env.instances)))
        spec = env.instances[name]
        ship = env.ships[spec["ship"]]
        lines = []
        try:
            with connection_errors(ship["name"], ship["docker_url"]):
                client = connect(ship)
                tail = args["tail"] if args["tail"] >= 0 else "all"
                if args["follow"]:
                    buffer = b""
                    for chunk in client.logs(name, stream=True, follow=True, tail=tail):
                        buffer += chunk
                        *done, buffer = buffer.split(b"\n")
                        for line in done:
                            display.display(line.decode("utf-8", "replace"))
                    if buffer:
                        display.display(buffer.decode("utf-8", "replace"))
                else:
                    lines = client.logs(name, tail=tail).decode("utf-8", "replace").splitlines()
        except DockerException as exc:
            if getattr(exc, "status_code", None) == 404:
                raise AnsibleError("%s: no such container on ship %s" % (name, spec["ship"]))
            raise AnsibleError("%s: %s" % (name, exc))
        return dict(changed=False, instance=name, ship=spec["ship"], lines=lines)
