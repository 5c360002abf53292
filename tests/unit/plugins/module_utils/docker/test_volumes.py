"""A container's anonymous volumes (docker/volumes.py): which of its mounts a replacement carries
over (64-hex names, not at a path the file mounts something at itself), where the new container
wants them, the binds that carry them, and how a carried one is told apart from the file's volumes."""

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.docker import volumes
from ansible_collections.maestro.ng.tests.unit.plugins.module_utils.docker.container_specs import (
    IMAGE,
    minimal_spec,
)

HEX1, HEX2, HEX3 = "1" * 64, "2a" * 32, "f0" * 32
SPEC = minimal_spec(
    volumes=[
        {"source": "/srv/data", "target": "/data", "mode": "rw"},
        {"source": "cache", "target": "/cache", "mode": "rw"},
    ],
    container_volumes=["/scratch", "/data"],
)


def mount(kind, name, destination, source=""):
    return {"Type": kind, "Name": name, "Source": source, "Destination": destination, "Driver": "local", "RW": True}


# ---------------------------------------------------------------- explicit_targets, anonymous


def test_explicit_targets_are_the_files_volumes():
    assert volumes.explicit_targets(SPEC) == {"/data", "/cache"}
    assert volumes.explicit_targets(minimal_spec()) == set()


def test_anonymous_keeps_hex_named_volumes_only():
    container = {
        "Mounts": [
            mount("volume", HEX1, "/scratch"),
            mount("volume", HEX2, "/var/lib/data"),
            mount("volume", "cache", "/cache"),  # a named volume
            mount("bind", "", "/etc/localtime", source="/etc/localtime"),  # a host path
            mount("volume", "mydata", "/srv"),  # a named volume elsewhere
            mount("tmpfs", "", "/run"),
        ]
    }
    assert volumes.anonymous(container, SPEC) == {"/scratch": HEX1, "/var/lib/data": HEX2}


def test_anonymous_leaves_out_paths_the_file_mounts_something_at():
    # Docker made an anonymous volume at /data before the file said to mount /srv/data there.
    container = {
        "Mounts": [mount("volume", HEX1, "/data"), mount("volume", HEX2, "/cache"), mount("volume", HEX3, "/x")]
    }
    assert volumes.anonymous(container, SPEC) == {"/x": HEX3}


@pytest.mark.parametrize(
    "name",
    [
        "1" * 63,  # too short
        "1" * 65,  # too long
        "A" * 64,  # not lower-case hex
        "g" * 64,
        "sha256:" + "1" * 64,
        None,
        "",
    ],
)
def test_a_name_that_is_not_64_hex_digits_is_not_anonymous(name):
    assert volumes.anonymous({"Mounts": [mount("volume", name, "/scratch")]}, SPEC) == {}


def test_a_bind_with_a_hex_named_host_folder_is_not_anonymous():
    container = {"Mounts": [mount("bind", HEX1, "/scratch", source="/" + HEX1)]}
    assert volumes.anonymous(container, SPEC) == {}


@pytest.mark.parametrize("container", [{}, {"Mounts": None}, {"Mounts": []}])
def test_no_mounts_no_anonymous_volumes(container):
    assert volumes.anonymous(container, SPEC) == {}


# ---------------------------------------------------------------- wanted_paths


def test_wanted_paths_are_container_volumes_and_the_images_minus_explicit_targets():
    image = {"Config": {"Volumes": {"/var/lib/data": {}, "/cache": {}}}}
    assert volumes.wanted_paths(SPEC, image) == {"/scratch", "/var/lib/data"}


def test_wanted_paths_of_the_shared_image():
    assert volumes.wanted_paths(minimal_spec(container_volumes=["/data"]), IMAGE) == {"/data", "/var/lib/data"}


@pytest.mark.parametrize("image", [None, {}, {"Config": None}, {"Config": {}}, {"Config": {"Volumes": None}}])
def test_without_image_volumes_only_the_files_container_volumes(image):
    assert volumes.wanted_paths(SPEC, image) == {"/scratch"}


def test_nothing_wanted():
    assert volumes.wanted_paths(minimal_spec(), {"Config": {"Volumes": None}}) == set()


# ---------------------------------------------------------------- carried_binds


def test_carried_binds_mount_the_old_volumes_at_the_wanted_paths_in_order():
    old = {"/scratch": HEX1, "/var/lib/data": HEX2, "/gone": HEX3}
    assert volumes.carried_binds(old, ["/var/lib/data", "/scratch", "/new"]) == [
        "%s:/scratch" % HEX1,
        "%s:/var/lib/data" % HEX2,
    ]


def test_carried_binds_of_nothing():
    assert volumes.carried_binds({}, {"/scratch"}) == []
    assert volumes.carried_binds({"/scratch": HEX1}, set()) == []


# ---------------------------------------------------------------- is_carried


@pytest.mark.parametrize(
    "bind",
    [
        "%s:/scratch" % HEX1,
        "%s:/scratch:rw" % HEX1,
        "%s:/var/lib/data:ro,Z" % HEX2,
    ],
)
def test_a_hex_named_volume_at_a_path_the_file_does_not_mount_is_carried(bind):
    assert volumes.is_carried(bind, SPEC)


@pytest.mark.parametrize(
    "bind",
    [
        "cache:/cache:rw",  # a named volume (the file's)
        "mydata:/scratch",  # a named volume at a non-explicit path
        "/srv/data:/data:rw",  # a host path
        "/%s:/scratch" % HEX1,  # a host folder named like a volume
        "%s:/data" % HEX1,  # a hex name at a path the file mounts something at itself
        "%s:/cache:rw" % HEX1,
        "%s:/scratch" % ("1" * 63),
        "%s:/scratch" % ("A" * 64),
    ],
)
def test_other_binds_are_not_carried(bind):
    assert not volumes.is_carried(bind, SPEC)


def test_a_carried_bind_is_read_back_as_what_carried_binds_made():
    binds = volumes.carried_binds({"/scratch": HEX1, "/var/lib/data": HEX2}, ["/scratch", "/var/lib/data"])
    assert [volumes.is_carried(bind, SPEC) for bind in binds] == [True, True]
