"""Whose a container is (docker/ownership.py): its labels, from a listing entry or an inspect; who
made it when it is not this environment's instance; and the one line that refuses to touch it."""

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.docker import ownership
from ansible_collections.maestro.ng.plugins.module_utils.docker.desired import (
    LABEL_ENVIRONMENT,
    LABEL_INSTANCE,
    LABEL_SERVICE,
    LABEL_SHIP,
)

OURS = {
    LABEL_ENVIRONMENT: "prod",
    LABEL_SERVICE: "web",
    LABEL_INSTANCE: "web-1",
    LABEL_SHIP: "ship1",
    "team": "ops",
}
NO_LABELS = "no maestro.ng environment: it has none of its labels (made by hand, by MaestroNG or another tool)"


def listed(labels):
    """A container listing entry (GET /containers/json)."""
    return {"Id": "c" * 64, "Names": ["/web-1"], "State": "running", "Labels": labels}


def inspected(labels):
    """A container inspect (GET /containers/ID/json)."""
    return {"Id": "c" * 64, "Name": "/web-1", "Config": {"Labels": labels, "Image": "acme/web"}}


# ---------------------------------------------------------------- labels_of


def test_labels_of_a_listing_entry():
    assert ownership.labels_of(listed(OURS)) == OURS


def test_labels_of_an_inspect_are_its_configs():
    container = inspected(OURS)
    container["Labels"] = {"not": "these"}  # an inspect has none at the top; its Config's count
    assert ownership.labels_of(container) == OURS


@pytest.mark.parametrize(
    "container",
    [
        {"Id": "c" * 64},
        listed(None),
        listed({}),
        {"Id": "c" * 64, "Config": None},
        {"Id": "c" * 64, "Config": {}},
        inspected(None),
    ],
)
def test_no_labels_are_an_empty_mapping(container):
    assert ownership.labels_of(container) == {}


# ---------------------------------------------------------------- stranger


@pytest.mark.parametrize("shape", [listed, inspected])
def test_this_environments_instance_is_ours(shape):
    assert ownership.stranger(shape(OURS), "prod", "web-1") is None


@pytest.mark.parametrize("shape", [listed, inspected])
def test_another_environments_container_names_it(shape):
    labels = {**OURS, LABEL_ENVIRONMENT: "staging"}
    assert ownership.stranger(shape(labels), "prod", "web-1") == "maestro.ng environment 'staging' (instance 'web-1')"


@pytest.mark.parametrize("shape", [listed, inspected])
def test_another_instance_of_this_environment_is_not_ours_either(shape):
    labels = {**OURS, LABEL_INSTANCE: "web-2"}
    assert ownership.stranger(shape(labels), "prod", "web-1") == "maestro.ng environment 'prod' (instance 'web-2')"


def test_an_environment_label_without_an_instance_label():
    labels = {LABEL_ENVIRONMENT: "prod"}
    assert ownership.stranger(listed(labels), "prod", "web-1") == "maestro.ng environment 'prod' (instance None)"


@pytest.mark.parametrize("shape", [listed, inspected])
@pytest.mark.parametrize(
    "labels",
    [
        None,
        {},
        {"com.docker.compose.project": "web"},
        {LABEL_INSTANCE: "web-1"},  # an instance label alone says no environment
        {LABEL_SERVICE: "web", LABEL_SHIP: "ship1"},
    ],
)
def test_a_container_without_the_environment_label_was_made_by_no_environment(shape, labels):
    assert ownership.stranger(shape(labels), "prod", "web-1") == NO_LABELS


def test_the_environment_label_alone_does_not_make_it_ours():
    labels = dict(OURS)
    del labels[LABEL_INSTANCE]
    assert ownership.stranger(listed(labels), "prod", "web-1") is not None


# ---------------------------------------------------------------- refusal


def test_refusal_of_a_container_made_by_hand():
    assert ownership.refusal("web-1", "ship1", NO_LABELS) == (
        "web-1 on ship1: the container named web-1 there was made by no maestro.ng environment: it has none of "
        "its labels (made by hand, by MaestroNG or another tool); nothing was changed (to take it over, with its "
        "volumes, run once with -e adopt=true (the maestro command: --adopt))"
    )


def test_refusal_of_another_environments_container():
    owner = ownership.stranger(listed({**OURS, LABEL_ENVIRONMENT: "staging"}), "prod", "web-1")
    assert ownership.refusal("web-1", "ship2", owner) == (
        "web-1 on ship2: the container named web-1 there was made by maestro.ng environment 'staging' "
        "(instance 'web-1'); nothing was changed (to take it over, with its volumes, run once with -e adopt=true "
        "(the maestro command: --adopt))"
    )
