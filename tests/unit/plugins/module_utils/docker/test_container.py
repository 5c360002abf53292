"""The container manager's own logic on stand-ins for the daemon."""

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.docker.container import _listed_container, state_of
from ansible_collections.maestro.ng.tests.unit.plugins.module_utils.docker.container_specs import IMAGE


@pytest.mark.parametrize(
    "listed, state",
    [
        ("running", "running"),
        ("paused", "running"),
        ("restarting", "running"),  # inspect says Running for these
        ("exited", "exited"),
        ("created", "created"),
        ("dead", "dead"),
    ],
)
def test_a_listing_entry_reads_as_the_state_an_inspect_gives(listed, state):
    entry = {"Id": "c" * 64, "ImageID": IMAGE["Id"], "State": listed, "Names": ["/web-1"]}
    container = _listed_container(entry)
    assert state_of(container) == state
    assert container["Id"] == entry["Id"] and container["Image"] == IMAGE["Id"]
    assert _listed_container(None) is None and state_of(None) == "absent"
