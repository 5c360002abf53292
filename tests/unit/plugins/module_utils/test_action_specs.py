"""The argument specs shared by the controller-side action plugins and their stub modules."""

from ansible_collections.maestro.ng.plugins.module_utils import action_specs
from ansible_collections.maestro.ng.plugins.module_utils.command_specs import COMMANDS


def test_orchestrate_states_are_the_orchestrator_commands():
    assert action_specs.ORCHESTRATE_SPEC["state"]["choices"] == sorted(COMMANDS)


def test_selection_options_in_every_selecting_spec():
    for spec in (action_specs.ORCHESTRATE_SPEC, action_specs.STATUS_SPEC, action_specs.PLAN_SPEC):
        assert {key: spec[key] for key in action_specs.SELECTION_SPEC} == action_specs.SELECTION_SPEC
