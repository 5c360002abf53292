# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each orchestrating command is, one record per command.

The orchestrate module's states, the ``maestro`` command's words, the audit trail's
actions, the progress words and the order levels run in all come from here, so a new
command is one more record. Pure and free of imports: the stub modules bundle it through
action_specs.py.
"""

from __future__ import annotations

from typing import NamedTuple


class Command(NamedTuple):
    state: str  # the orchestrate state (the playbooks' ``state:``), also the container's target state
    word: str  # MaestroNG's name of the command: the maestro command word and the audit action
    past: str  # "web: 2/2 started"
    doing: str  # "web: starting 2 instances on ..."
    reverse: bool  # dependents first: the levels run in reverse and a selection takes in dependents
    one_container: bool  # the container module does it to one container (clean and pull act on several)


COMMANDS = {
    command.state: command
    for command in (
        Command("started", "start", "started", "starting", reverse=False, one_container=True),
        Command("stopped", "stop", "stopped", "stopping", reverse=True, one_container=True),
        Command("killed", "kill", "killed", "killing", reverse=True, one_container=True),
        Command("restarted", "restart", "restarted", "restarting", reverse=False, one_container=True),
        Command("absent", "remove", "removed", "removing", reverse=True, one_container=True),
        Command("cleaned", "clean", "cleaned", "cleaning", reverse=True, one_container=False),
        Command("pulled", "pull", "pulled", "pulling", reverse=False, one_container=False),
    )
}
# The same records by MaestroNG's word ("start").
BY_WORD = {command.word: command for command in COMMANDS.values()}
# The states the container module reaches for one container.
CONTAINER_STATES = tuple(command.state for command in COMMANDS.values() if command.one_container)
