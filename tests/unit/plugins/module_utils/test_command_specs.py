"""One record per command: what every table that used to repeat it now reads."""

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.command_specs import BY_WORD, COMMANDS, CONTAINER_STATES
from ansible_collections.maestro.ng.plugins.module_utils.docker import container_args

# What the orchestrate module's states meant before there was one record (orchestrate.COMMANDS,
# PAST and DOING, audit.ACTIONS and REVERSED): MaestroNG's words, the progress words, the order.
WAS = {
    "started": ("start", "started", "starting", False),
    "stopped": ("stop", "stopped", "stopping", True),
    "killed": ("kill", "killed", "killing", True),
    "restarted": ("restart", "restarted", "restarting", False),
    "absent": ("remove", "removed", "removing", True),
    "cleaned": ("clean", "cleaned", "cleaning", True),
    "pulled": ("pull", "pulled", "pulling", False),
}


@pytest.mark.parametrize("state", sorted(WAS))
def test_each_command_keeps_its_words_and_direction(state):
    command = COMMANDS[state]
    assert command.state == state
    assert (command.word, command.past, command.doing, command.reverse) == WAS[state]
    assert BY_WORD[command.word] is command


def test_exactly_the_known_commands():
    assert set(COMMANDS) == set(WAS)


def test_stop_like_commands_are_the_reversed_ones():
    assert sorted(c.word for c in COMMANDS.values() if c.reverse) == ["clean", "kill", "remove", "stop"]


def test_the_container_module_takes_the_one_container_states():
    assert CONTAINER_STATES == ("started", "stopped", "killed", "restarted", "absent")
    assert container_args.ARGUMENT_SPEC["state"]["choices"] == list(CONTAINER_STATES)
