"""Port specs: every form MaestroNG accepts, bindings, when two ports clash, and the variables
(the clashes an environment refuses: test_references.py)."""

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError
from ansible_collections.maestro.ng.plugins.module_utils.model import ports


def port(exposed, external, protocol="tcp", host_ip="0.0.0.0", name="p"):
    return {"name": name, "exposed": exposed, "external": external, "protocol": protocol, "host_ip": host_ip}


@pytest.mark.parametrize(
    "spec, expected",
    [
        # the compat table, row by row
        (80, port("80", "80")),
        ("53/udp", port("53", "53", "udp")),
        ("80:8080", port("80", "8080")),  # first = container, second = host
        ("53/udp:5353/udp", port("53", "5353", "udp")),
        ("1234-1236", port("1234-1236", "1234-1236")),
        ("1234:1234-1236", port("1234", "1234-1236")),  # random host port in the range
        ("1234-1236:1234-1236", port("1234-1236", "1234-1236")),
        ("1234-1236:2234-2236", port("1234-1236", "2234-2236")),
        ({"exposed": "53/udp", "external": ["192.168.10.2", "5353/udp"]}, port("53", "5353", "udp", "192.168.10.2")),
        # the other documented forms
        ({"exposed": 25, "external": 25}, port("25", "25")),
        ({"exposed": "53/udp", "external": "5353/udp"}, port("53", "5353", "udp")),
        ({"exposed": 25, "external": ["192.168.10.2", 25]}, port("25", "25", host_ip="192.168.10.2")),
        ({"exposed": 25}, port("25", "25")),  # external defaults to exposed
        ({"exposed": "8000-8002/tcp", "external": "9000-9002/tcp"}, port("8000-8002", "9000-9002")),
        # spelling variants
        ("80", port("80", "80")),
        (" 80 ", port("80", "80")),
        ("80/TCP", port("80", "80")),
        ("80/tcp:8080/tcp", port("80", "8080")),
        ("5000-5000", port("5000", "5000")),  # a one-port range is a port
        (65535, port("65535", "65535")),
        # one side naming the protocol gives it to both (MaestroNG would call tcp vs udp a mismatch)
        ("53:5353/udp", port("53", "5353", "udp")),
        ("53/udp:5353", port("53", "5353", "udp")),
    ],
)
def test_port_forms(spec, expected):
    assert ports.parse_port("p", spec, ("ports", "p")) == expected


@pytest.mark.parametrize(
    "spec, message",
    [
        ("80/tcp:8080/udp", "port protocols do not match (tcp vs udp) in '80/tcp:8080/udp'"),
        (
            {"exposed": "53/udp", "external": "53/tcp"},
            "port protocols do not match (udp vs tcp) in {'exposed': '53/udp', 'external': '53/tcp'}",
        ),
        ("0", "port 0 is out of range 1-65535"),
        (65536, "port 65536 is out of range 1-65535"),
        ("80:99999", "port 99999 is out of range 1-65535"),
        ("1236-1234", "port range '1236-1234' goes backwards"),
        ("1234-1236:2000-2001", "port ranges '1234-1236' and '2000-2001' differ in length"),
        ("80/sctp", "unknown protocol 'sctp' (tcp or udp)"),
        ("http", "invalid port 'http' (expected PORT, PORT/PROTO or FIRST-LAST)"),
        ("80:", "invalid port '' (expected PORT, PORT/PROTO or FIRST-LAST)"),
        ("-80", "invalid port '-80' (expected PORT, PORT/PROTO or FIRST-LAST)"),
        ("10.0.0.1:80:8080", "invalid port spec '10.0.0.1:80:8080' (use the mapping form to give a host address)"),
        (True, "invalid port spec True"),
        (None, "invalid port spec None"),
        (8.5, "invalid port spec 8.5"),
        ([80, 8080], "invalid port spec [80, 8080]"),
        ({"external": 80}, "port mapping needs 'exposed'"),
        ({"exposed": 80, "host": "1.2.3.4"}, "unknown port key 'host' (exposed, external)"),
        ({"exposed": 80, "external": ["1.2.3.4"]}, "external must be [HOST_IP, PORT], got ['1.2.3.4']"),
    ],
)
def test_bad_port_specs(spec, message):
    with pytest.raises(MaestroError) as info:
        ports.parse_port("p", spec, ("services", "s", "ports", "p"), 7)
    assert str(info.value) == "line 7: services.s.ports.p: " + message


def test_bindings():
    specs = [
        ports.parse_port(n, s, ())
        for n, s in [
            ("web", "80:8080"),
            ("dns", {"exposed": "53/udp", "external": ["10.0.0.5", "5353/udp"]}),
            ("range", "7000-7001:8000-8001"),
            ("random", "9000:9100-9199"),
        ]
    ]
    assert ports.bindings(specs) == {
        "80/tcp": [("0.0.0.0", 8080)],
        "53/udp": [("10.0.0.5", 5353)],
        "7000/tcp": [("0.0.0.0", 8000)],
        "7001/tcp": [("0.0.0.0", 8001)],
        "9000/tcp": [("0.0.0.0", "9100-9199")],
    }


def test_same_container_port_bound_twice():
    specs = [ports.parse_port("a", "80:8080", ()), ports.parse_port("b", "80:8081", ())]
    assert ports.bindings(specs) == {"80/tcp": [("0.0.0.0", 8080), ("0.0.0.0", 8081)]}


def test_span_and_random():
    assert ports.span("80") == (80, 80)
    assert ports.span("1234-1236") == (1234, 1236)
    assert ports.is_random(port("1234", "1234-1236"))
    assert not ports.is_random(port("1234-1236", "1234-1236"))
    assert not ports.is_random(port("80", "8080"))


@pytest.mark.parametrize(
    "first, second, clash",
    [
        (port("80", "8080"), port("81", "8080"), True),
        (port("80", "8080"), port("80", "8081"), False),
        (port("80", "8000-8100"), port("80", "8050"), False),  # random range: unknown
        (port("8000-8100", "8000-8100"), port("8050", "8050"), True),
        (port("8000-8010", "8000-8010"), port("8010-8020", "8010-8020"), True),  # share 8010
        (port("53", "53", "udp"), port("53", "53", "tcp"), False),  # protocols differ
        (port("80", "80", host_ip="10.0.0.1"), port("80", "80", host_ip="10.0.0.2"), False),
        (port("80", "80", host_ip="10.0.0.1"), port("80", "80"), True),  # 0.0.0.0 covers all
        (port("80", "80", host_ip="10.0.0.1"), port("80", "80", host_ip="10.0.0.1"), True),
    ],
)
def test_two_ports_clash_when_they_share_a_host_socket(first, second, clash):
    """What references.py refuses: a host port number both surely bind, on addresses that meet."""

    def clashes(a, b):
        shared = set(ports.host_numbers(a)) & set(ports.host_numbers(b))
        return a["protocol"] == b["protocol"] and ports.same_address(a["host_ip"], b["host_ip"]) and bool(shared)

    assert clashes(first, second) is clash
    assert clashes(second, first) is clash


# ---------------------------------------------------------------- in an environment

TWO_SHIPS = """\
name: ports
ships: {vm1: {ip: 10.0.0.1}, vm2: {ip: 10.0.0.2}}
services:
"""


def test_port_variables_ranges_and_protocols(load_env):
    env = load_env(
        TWO_SHIPS
        + """\
          media:
            image: rtp
            ports:
              rtp: "10000-10010/udp"
              sip: "5060/udp:15060/udp"
              pick: "7000:7100-7199"
              exact: {exposed: 8443, external: [10.0.0.1, 443]}
            instances:
              media-1: {ship: vm1}
        """
    )
    env_vars = env.instances["media-1"]["env"]
    assert {k: v for k, v in env_vars.items() if "_PORT" in k} == {
        "MEDIA_MEDIA_1_RTP_PORT": "10000-10010",  # a range stays a-b, no /proto
        "MEDIA_MEDIA_1_RTP_INTERNAL_PORT": "10000-10010",
        "MEDIA_MEDIA_1_SIP_PORT": "15060",
        "MEDIA_MEDIA_1_SIP_INTERNAL_PORT": "5060",
        "MEDIA_MEDIA_1_PICK_PORT": "7100-7199",
        "MEDIA_MEDIA_1_PICK_INTERNAL_PORT": "7000",
        "MEDIA_MEDIA_1_EXACT_PORT": "443",
        "MEDIA_MEDIA_1_EXACT_INTERNAL_PORT": "8443",
    }


def test_host_numbers_and_addresses():
    assert list(ports.host_numbers(port("80", "8080"))) == [8080]
    assert list(ports.host_numbers(port("1-3", "11-13"))) == [11, 12, 13]
    assert list(ports.host_numbers(port("80", "8000-8100"))) == []  # random: nothing sure
    assert ports.same_address("0.0.0.0", "10.0.0.1")
    assert ports.same_address("10.0.0.1", "10.0.0.1")
    assert not ports.same_address("10.0.0.1", "10.0.0.2")
