"""What services and instances say of each other (model/references.py), checked once all are
read: the services they require or want information from, the instances they take volumes
from or link to (known, on the same ship, not themselves, no volume mounted twice), and the
host ports they publish on a ship."""

import textwrap

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError
from ansible_collections.maestro.ng.plugins.module_utils.model import environment, loader, references, services, ships
from ansible_collections.maestro.ng.plugins.module_utils.model.file_context import FileContext

TWO_SHIPS = """\
name: ports
ships: {vm1: {ip: 10.0.0.1}, vm2: {ip: 10.0.0.2}}
services:
"""


def check(text):
    """references.check of the services of TWO_SHIPS + ``text`` (as read by services.read)."""
    doc = loader.parse_yaml(TWO_SHIPS + textwrap.indent(textwrap.dedent(text).lstrip("\n"), "  "), "env.yaml")
    context = FileContext("env.yaml", "/nowhere")
    found, instances, drafts = services.read(doc, context, "ports", 2, ships.read(doc, context))
    references.check(found, instances, drafts)
    return instances


def error(text):
    """The error text of ``check(text)``: the services start on line 4."""
    with pytest.raises(MaestroError) as info:
        check(text)
    return str(info.value)


# ---------------------------------------------------------------- services


def test_known_services_pass():
    check("""
          db: {image: x, instances: {db-1: {ship: vm1}}}
          web: {image: x, requires: db, wants_info: [web, db], instances: {web-1: {ship: vm1}}}
        """)


@pytest.mark.parametrize("key", ["requires", "wants_info"])
def test_unknown_service(key):
    assert (
        error(
            """
          web:
            image: x
            %s: [db, cache]
            instances: {web-1: {ship: vm1}}
          db: {image: x, instances: {db-1: {ship: vm1}}}
        """
            % key
        )
        == "line 6: services.web.%s: unknown service 'cache' (known: db, web)" % key
    )


def test_requires_are_checked_before_wants_info():
    assert (
        error("""
          web:
            image: x
            wants_info: [metrics]
            requires: [cache]
            instances: {web-1: {ship: vm1}}
        """)
        == "line 7: services.web.requires: unknown service 'cache' (known: web)"
    )


# ---------------------------------------------------------------- volumes_from and links


def test_volumes_from_and_links_on_the_same_ship_pass():
    instances = check("""
          data: {image: x, instances: {data-1: {ship: vm2, container_volumes: [/var/lib/app]}}}
          web:
            image: x
            instances:
              web-1: {ship: vm2, volumes_from: data-1, links: {data-1: data}, volumes: {/srv: /srv}}
        """)
    assert instances["web-1"]["volumes_from"] == ["data-1"]


@pytest.mark.parametrize(
    "web, message",
    [
        ("{ship: vm1, volumes_from: [data-9]}", "volumes_from: unknown instance 'data-9'"),
        ("{ship: vm1, links: {data-9: db}}", "links: unknown instance 'data-9'"),
        (
            "{ship: vm1, volumes_from: data-1}",
            "volumes_from: data-1 runs on ship vm2, not on vm1 (volumes_from must be on the same ship)",
        ),
        (
            "{ship: vm1, links: {data-1: db}}",
            "links: data-1 runs on ship vm2, not on vm1 (links must be on the same ship)",
        ),
        ("{ship: vm1, volumes_from: web-1}", "volumes_from: an instance cannot use itself"),
        ("{ship: vm1, links: {web-1: me}}", "links: an instance cannot use itself"),
    ],
)
def test_instance_reference_errors(web, message):
    assert (
        error(
            """
          data: {image: x, instances: {data-1: {ship: vm2}}}
          web:
            image: x
            instances:
              web-1: %s
        """
            % web
        )
        == "line 8: services.web.instances.web-1." + message
    )


def test_volumes_from_is_checked_before_links():
    assert (
        error("""
          web: {image: x, instances: {web-1: {ship: vm1, links: {nope-1: a}, volumes_from: gone-1}}}
        """)
        == "line 4: services.web.instances.web-1.volumes_from: unknown instance 'gone-1'"
    )


@pytest.mark.parametrize(
    "data, mine",
    [
        ("{ship: vm1, volumes: {/srv/cache: /cache}}", "{/other: /cache}"),  # their volume
        ("{ship: vm1, container_volumes: [/cache]}", "{/other: /cache}"),  # their anonymous volume
    ],
)
def test_a_volume_also_taken_from_another_instance(data, mine):
    assert (
        error(
            """
          data: {image: x, instances: {data-1: %s}}
          web:
            image: x
            instances:
              web-1:
                ship: vm1
                volumes_from: data-1
                volumes: %s
        """
            % (data, mine)
        )
        == "line 11: services.web.instances.web-1.volumes: /cache is also a volume of data-1 (volumes_from)"
    )


def test_the_first_clashing_volume_is_named():
    assert (
        error("""
          data: {image: x, instances: {data-1: {ship: vm1, container_volumes: [/b, /a]}}}
          web: {image: x, instances: {web-1: {ship: vm1, volumes_from: data-1, volumes: {/x: /b, /y: /a}}}}
        """)
        == "line 5: services.web.instances.web-1.volumes: /a is also a volume of data-1 (volumes_from)"
    )


def test_own_container_volumes_may_repeat_theirs():
    """Only what the instance mounts from the host is compared with the other's volumes."""
    check("""
          data: {image: x, instances: {data-1: {ship: vm1, container_volumes: [/cache]}}}
          web: {image: x, instances: {web-1: {ship: vm1, volumes_from: data-1, container_volumes: [/cache]}}}
        """)


def test_volumes_from_same_ship_shares_nothing_mounted_twice(fixture_path):
    env = environment.load(fixture_path("good", "volumes.yaml"), environ={})
    assert env.instances["instance-2"]["volumes_from"] == ["instance-1"]


# ---------------------------------------------------------------- host ports


def test_host_port_clash_directly():
    assert (
        error("""
          a: {image: x, instances: {a-1: {ship: vm1, ports: {http: "80:8080"}}}}
          b:
            image: x
            instances:
              b-1:
                ship: vm1
                ports:
                  web: "8000-8100"
        """)
        == "line 11: services.b.instances.b-1.ports.web: host port 8000-8100/tcp is already used by a-1 (port http) on ship vm1"
    )


def test_a_host_network_instance_neither_clashes_nor_takes_its_ports():
    check("""
          a: {image: x, instances: {a-1: {ship: vm1, net: host, ports: {http: 80}}}}
          b: {image: x, instances: {b-1: {ship: vm1, ports: {http: 80}}, b-2: {ship: vm1, net: host, ports: {http: 80}}}}
        """)


def test_the_same_port_on_two_host_addresses_is_fine_but_not_on_the_wildcard():
    check("""
          a:
            image: x
            instances:
              a-1: {ship: vm1, ports: {p: {exposed: 80, external: [10.0.0.1, 80]}}}
              a-2: {ship: vm1, ports: {p: {exposed: 80, external: [127.0.0.1, 80]}}}
        """)
    assert (
        error("""
          a:
            image: x
            instances:
              a-1: {ship: vm1, ports: {p: {exposed: 80, external: [10.0.0.1, 80]}}}
              a-2: {ship: vm1, ports: {p: {exposed: 80, external: [127.0.0.1, 80]}}}
              a-3: {ship: vm1, ports: {q: "81:80"}}
        """)
        == "line 9: services.a.instances.a-3.ports.q: host port 80/tcp is already used by a-1 (port p) on ship vm1"
    )


def test_same_host_port_on_different_ships_is_fine(load_env):
    env = load_env(
        TWO_SHIPS
        + """\
          web:
            image: nginx
            ports: {http: 80}
            instances:
              web-1: {ship: vm1}
              web-2: {ship: vm2}
        """
    )
    assert len(env.instances) == 2


@pytest.mark.parametrize(
    "second",
    [
        "{ship: vm1, ports: {http: 53/udp}}",  # other protocol
        "{ship: vm1, net: host}",  # host network: no bindings
        "{ship: vm1, ports: {http: {exposed: 80, external: [10.0.0.2, 80]}}}",  # another host address
        "{ship: vm1, ports: {http: '80:8000-8100'}}",  # random in a range
    ],
)
def test_no_clash(load_env, second):
    env = load_env(
        TWO_SHIPS
        + """\
          web:
            image: nginx
            instances:
              web-1: {ship: vm1, ports: {http: {exposed: 80, external: [10.0.0.1, 80]}}}
              web-2: %s
        """
        % second
    )
    assert list(env.instances) == ["web-1", "web-2"]


def test_clash_between_instances_of_one_service(load_error):
    message = load_error(
        TWO_SHIPS
        + """\
          web:
            image: nginx
            ports: {http: 80}
            instances:
              web-1: {ship: vm1}
              web-2: {ship: vm1}
        """
    )
    assert message == (
        "env.yaml:9: services.web.instances.web-2.ports.http: "
        "host port 80/tcp is already used by web-1 (port http) on ship vm1"
    )


def test_clash_with_an_address_bound_port(load_error):
    message = load_error(
        TWO_SHIPS
        + """\
          web:
            image: nginx
            instances:
              web-1: {ship: vm1, ports: {http: {exposed: 80, external: [10.0.0.1, 80]}}}
              web-2:
                ship: vm1
                ports:
                  alt: "8080:80"
        """
    )
    assert message == (
        "env.yaml:11: services.web.instances.web-2.ports.alt: "
        "host port 80/tcp is already used by web-1 (port http) on ship vm1"
    )


def test_clash_inside_a_range_names_the_first_owner(load_error):
    message = load_error(
        TWO_SHIPS
        + """\
          a:
            image: a
            instances:
              a-1: {ship: vm1, ports: {one: 7005, two: "7010/udp"}}
              a-2: {ship: vm1, ports: {many: "7000-7020/udp"}}
        """
    )
    assert message == (
        "env.yaml:8: services.a.instances.a-2.ports.many: "
        "host port 7000-7020/udp is already used by a-1 (port two) on ship vm1"
    )


def test_two_ports_of_one_instance_on_one_host_port_clash(load_error):
    message = load_error(
        TWO_SHIPS
        + """\
          web:
            image: nginx
            instances:
              web-1: {ship: vm1, ports: {http: "80:8080", admin: "81:8080"}}
        """
    )
    assert message.endswith(
        "services.web.instances.web-1.ports.admin: host port 8080/tcp is already used by web-1 (port http) on ship vm1"
    )
