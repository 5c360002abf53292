"""Docker's rules located in the file (model/docker_checks.py): at the key that says the value, an
instance's own or its service's, and where the settings a ship checks were written."""

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError

ENV = """
name: located
ships:
  vm1: {ip: 10.0.0.1}
services:
  web:
    image: busybox
    limits: {memory: 64m}
    instances:
      web-1:
        ship: vm1
        SETTING
"""


@pytest.mark.parametrize(
    "setting, line, key",
    [
        ("labels: [com.example.a, maestro.ng.ship]", 11, "services.web.instances.web-1.labels.1"),
        ("ulimits: {nofile: 10, nprocs: 5}", 11, "services.web.instances.web-1.ulimits.nprocs"),
        ("limits: {swap: 32m}", 11, "services.web.instances.web-1.limits.swap"),
        ("limits: {memory: 1m}", 11, "services.web.instances.web-1.limits.memory"),
        ("image: Web", 11, "services.web.instances.web-1.image"),
        ("username: app", None, None),
    ],
)
def test_each_problem_is_located_at_the_key_that_says_it(load_env, setting, line, key):
    text = ENV.replace("SETTING", setting)
    if key is None:
        assert load_env(text).instances["web-1"]["user"] == "app"
        return
    with pytest.raises(MaestroError) as info:
        load_env(text)
    assert (info.value.line, info.value.key) == (line, key)


def test_a_ship_checked_setting_is_located_where_the_file_says_it(load_env):
    env = load_env(ENV.replace("SETTING", "net: backend\n        log_driver: gelf"))
    assert env.where["web-1"] == {
        "image": (("services", "web", "image"), 6),
        "network_mode": (("services", "web", "instances", "web-1", "net"), 11),
        "log_driver": (("services", "web", "instances", "web-1", "log_driver"), 12),
    }
    assert env.located("web-1", "network_mode", "no such network") == (
        "%s:11: services.web.instances.web-1.net: no such network" % env.file
    )
