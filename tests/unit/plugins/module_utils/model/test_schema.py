"""The typed readers every section is validated with (model/schema.py): what each accepts,
what it makes of it, and the exact located line it fails with. Mappings parsed from YAML
know their lines, so an error reads ``line N: key.path: message``; plain dicts give no line."""

import textwrap

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError
from ansible_collections.maestro.ng.plugins.module_utils.model import loader, schema


def parse(text):
    """A YAML text as the loader reads it: mappings and lists that know their lines."""
    return loader.parse_yaml(textwrap.dedent(text).lstrip("\n"), "t.yaml")


def error(function, *args, **kwargs):
    """The MaestroError text ``function(*args, **kwargs)`` fails with."""
    with pytest.raises(MaestroError) as info:
        function(*args, **kwargs)
    return str(info.value)


# ---------------------------------------------------------------- type names, fail, check_map


@pytest.mark.parametrize(
    "value, name",
    [
        (None, "nothing"),
        (True, "a boolean"),
        (False, "a boolean"),  # before int: bool is an int in Python
        ({}, "a mapping"),
        ([], "a list"),
        (0, "a number"),
        (1.5, "a number"),
        ("", "a string"),
        ("x", "a string"),
        (b"x", "a string"),
    ],
)
def test_type_name(value, name):
    assert schema.type_name(value) == name


def test_fail_locates_the_value_by_its_parent_and_key():
    doc = parse("""
        top:
          a: 1
          b: 2
        """)
    with pytest.raises(MaestroError) as info:
        schema.fail("is wrong", ("top", "b"), doc["top"], "b")
    assert (info.value.message, info.value.path, info.value.line, info.value.file) == (
        "is wrong",
        ("top", "b"),
        3,
        None,
    )
    assert str(info.value) == "line 3: top.b: is wrong"


def test_fail_without_a_parent_has_no_line():
    assert error(schema.fail, "is wrong", ("a", 0)) == "a.0: is wrong"


def test_fail_with_a_key_the_parent_lacks_gives_the_parents_own_line():
    doc = parse("""
        name: x
        ships:
          vm1: {ip: 1}
        """)
    assert error(schema.fail, "is required", ("ships", "vm1", "endpoint"), doc["ships"]["vm1"], "endpoint") == (
        "line 3: ships.vm1.endpoint: is required"
    )


def test_check_map():
    doc = parse("""
        ships:
          vm1: [a]
          vm2: {ip: 1}
        """)
    schema.check_map(doc["ships"]["vm2"], ("ships", "vm2"), doc["ships"], "vm2")  # a mapping: nothing
    assert error(schema.check_map, doc["ships"]["vm1"], ("ships", "vm1"), doc["ships"], "vm1") == (
        "line 2: ships.vm1: must be a mapping, got a list"
    )
    assert error(schema.check_map, None, ("x",), {}, "x") == "x: must be a mapping, got nothing"


# ---------------------------------------------------------------- check_keys


def test_check_keys_accepts_known_keys():
    schema.check_keys({"ip": 1, "timeout": 2}, schema.SHIP_KEYS, ("ships", "vm1"), "ship")


def test_check_keys_says_did_you_mean_for_a_close_key():
    doc = parse("""
        vm1:
          ip: 1
          docker_prot: 2
        """)
    assert error(schema.check_keys, doc["vm1"], schema.SHIP_KEYS, ("ships", "vm1"), "ship") == (
        "line 3: ships.vm1.docker_prot: unknown ship key 'docker_prot' (did you mean 'docker_port'?)"
    )


def test_check_keys_lists_the_known_keys_when_nothing_is_close():
    assert error(schema.check_keys, {"zzz": 1}, ("cpu", "memory", "swap"), ("limits",), "limits") == (
        "limits.zzz: unknown limits key 'zzz' (known: cpu, memory, swap)"
    )


def test_check_keys_hint_wins_over_a_close_match():
    hints = {"endpoint": "set it on each ship, not in ship_defaults"}
    assert error(schema.check_keys, {"endpoint": "h"}, schema.SHIP_DEFAULT_KEYS, ("ship_defaults",), "x", hints) == (
        "ship_defaults.endpoint: unknown x key 'endpoint' (set it on each ship, not in ship_defaults)"
    )
    # a hint for another key changes nothing
    assert error(schema.check_keys, {"imag": 1}, ("image",), ("s",), "service", {"volumes": "elsewhere"}) == (
        "s.imag: unknown service key 'imag' (did you mean 'image'?)"
    )


def test_check_keys_names_a_non_string_key_as_text():
    with pytest.raises(MaestroError) as info:
        schema.check_keys({1: "x"}, ("a", "b"), ("m",), "thing")
    assert info.value.path == ("m", "1")
    assert info.value.message == "unknown thing key '1' (known: a, b)"


def test_check_keys_reports_the_first_unknown_key_in_the_files_order():
    assert error(schema.check_keys, {"ok": 1, "second": 2, "first": 3}, ("ok",), (), "x") == (
        "second: unknown x key 'second' (known: ok)"
    )


# ---------------------------------------------------------------- get_map


def test_get_map():
    doc = parse("""
        a: {x: 1}
        b:
        c: [1]
        """)
    assert schema.get_map(doc, "a", ()) == {"x": 1}
    assert schema.get_map(doc, "b", ()) == {}  # written but empty
    assert schema.get_map(doc, "missing", ()) == {}
    assert schema.get_map("not a mapping", "a", ()) == {}
    assert error(schema.get_map, doc, "c", ("top",)) == "line 3: top.c: must be a mapping, got a list"
    assert error(schema.get_map, doc, "c", (), what="a list of notifiers") == (
        "line 3: c: must be a list of notifiers, got a list"
    )


def test_get_map_required():
    doc = parse("""
        name: x
        ships:
        """)
    assert error(schema.get_map, doc, "services", (), required=True) == "line 1: services: is required"
    assert error(schema.get_map, doc, "ships", (), required=True) == "line 2: ships: must be a mapping, got nothing"
    assert error(schema.get_map, None, "ships", ("top",), required=True) == "top.ships: is required"


# ---------------------------------------------------------------- get_str


@pytest.mark.parametrize(
    "value, expected",
    [
        ("text", "text"),
        (10, "10"),  # ip: 10 is rare but valid YAML
        (1.5, "1.5"),
        ("", ""),  # not required: empty is a value
    ],
)
def test_get_str_values(value, expected):
    assert schema.get_str({"k": value}, "k", ()) == expected


def test_get_str_absent_or_null_is_the_default():
    assert schema.get_str({}, "k", ()) is None
    assert schema.get_str({"k": None}, "k", (), default="d") == "d"
    assert schema.get_str({}, "k", (), default="d") == "d"


@pytest.mark.parametrize(
    "value, kwargs, message",
    [
        (True, {}, "must be a string, got a boolean"),
        ([1], {}, "must be a string, got a list"),
        ({"a": 1}, {}, "must be a string, got a mapping"),
        (5, {"numbers": False}, "must be a string, got a number"),
        ("  ", {"required": True}, "must not be empty"),
        ("", {"required": True}, "must not be empty"),
    ],
)
def test_get_str_errors(value, kwargs, message):
    assert error(schema.get_str, {"k": value}, "k", ("p",), **kwargs) == "p.k: " + message


def test_get_str_required_is_located_at_the_key_or_its_parent():
    doc = parse("""
        ship:
          ip:
          endpoint: x
        """)
    assert error(schema.get_str, doc["ship"], "ip", ("ship",), required=True) == "line 2: ship.ip: is required"
    assert error(schema.get_str, doc["ship"], "user", ("ship",), required=True) == "line 2: ship.user: is required"
    assert schema.get_str(doc["ship"], "endpoint", ("ship",), required=True) == "x"


# ---------------------------------------------------------------- get_bool, get_int, get_number


def test_get_bool():
    assert schema.get_bool({"k": True}, "k", ()) is True
    assert schema.get_bool({"k": False}, "k", (), default=True) is False
    assert schema.get_bool({}, "k", ()) is False
    assert schema.get_bool({"k": None}, "k", (), default=True) is True
    assert error(schema.get_bool, {"k": "yes please"}, "k", ("p",)) == "p.k: must be true or false, got 'yes please'"
    assert error(schema.get_bool, {"k": 1}, "k", ("p",)) == "p.k: must be true or false, got 1"


@pytest.mark.parametrize(
    "value, expected",
    [(42, 42), (0, 0), (-5, -5), ("42", 42), (" 7 ", 7), (None, None)],
)
def test_get_int_values(value, expected):
    assert schema.get_int({"k": value}, "k", ()) == expected


@pytest.mark.parametrize(
    "value, message",
    [
        (True, "must be an integer, got True"),
        (1.5, "must be an integer, got 1.5"),
        ("ten", "must be an integer, got 'ten'"),
        ("-1", "must be an integer, got '-1'"),  # only plain digits are read from a string
        ([1], "must be an integer, got [1]"),
    ],
)
def test_get_int_errors(value, message):
    assert error(schema.get_int, {"k": value}, "k", ("p",)) == "p.k: " + message


def test_get_int_default_and_minimum():
    assert schema.get_int({}, "k", (), default=3) == 3
    assert schema.get_int({"k": 1}, "k", (), minimum=1) == 1
    assert schema.get_int({"k": "0"}, "k", (), default=3) == 0  # a zero is not "absent"
    assert error(schema.get_int, {"k": 0}, "k", ("p",), minimum=1) == "p.k: must be at least 1, got 0"
    assert error(schema.get_int, {"k": "-0"}, "k", ("p",), minimum=0) == "p.k: must be an integer, got '-0'"


def test_get_int_error_line():
    doc = parse("""
        a: 1
        b: many
        """)
    assert error(schema.get_int, doc, "b", ()) == "line 2: b: must be an integer, got 'many'"


def test_get_number():
    assert schema.get_number({"k": 5}, "k", ()) == 5
    assert schema.get_number({"k": 0.5}, "k", ()) == 0.5
    assert schema.get_number({"k": 0}, "k", (), default=9) == 0
    assert schema.get_number({}, "k", (), default=9) == 9
    assert schema.get_number({"k": None}, "k", ()) is None
    assert error(schema.get_number, {"k": "3"}, "k", ("p",)) == "p.k: must be a number, got '3'"
    assert error(schema.get_number, {"k": True}, "k", ("p",)) == "p.k: must be a number, got True"
    assert error(schema.get_number, {"k": -1}, "k", ("p",)) == "p.k: must not be negative, got -1"
    assert error(schema.get_number, {"k": -0.5}, "k", ("p",)) == "p.k: must not be negative, got -0.5"


# ---------------------------------------------------------------- get_str_list


@pytest.mark.parametrize(
    "value, expected",
    [
        ("kafka", ["kafka"]),  # a string is a list of one
        (53, ["53"]),
        ([], []),
        (["a", 1, 2.5], ["a", "1", "2.5"]),
        (None, []),
    ],
)
def test_get_str_list_values(value, expected):
    assert schema.get_str_list({"k": value}, "k", ()) == expected


def test_get_str_list_default_is_a_copy():
    default = ["x"]
    got = schema.get_str_list({}, "k", (), default=default)
    got.append("y")
    assert default == ["x"]
    assert schema.get_str_list({}, "k", ()) == []


def test_get_str_list_errors_name_the_item():
    doc = parse("""
        requires:
          - a
          - [b]
          - true
        """)
    assert error(schema.get_str_list, doc, "requires", ("s",)) == "line 3: s.requires.1: must be a string, got a list"
    doc["requires"][1] = "b"
    assert error(schema.get_str_list, doc, "requires", ("s",)) == (
        "line 4: s.requires.2: must be a string, got a boolean"
    )
    assert error(schema.get_str_list, {"k": {"a": 1}}, "k", ("s",)) == (
        "s.k: must be a string or a list of strings, got a mapping"
    )
    assert error(schema.get_str_list, {"k": False}, "k", ("s",)) == (
        "s.k: must be a string or a list of strings, got a boolean"
    )
    assert error(schema.get_str_list, {"k": ["a", None]}, "k", ("s",)) == "s.k.1: must be a string, got nothing"


# ---------------------------------------------------------------- get_str_map, env_value


def test_get_str_map_values_become_text():
    value = {"A": 1, "B": True, "C": None, "D": 1.5, 7: "seven", "E": "e"}
    assert schema.get_str_map({"k": value}, "k", ()) == {
        "A": "1",
        "B": "True",
        "C": "",
        "D": "1.5",
        "7": "seven",
        "E": "e",
    }
    assert schema.get_str_map({}, "k", ()) == {}


def test_get_str_map_refuses_lists_unless_asked():
    doc = parse("""
        env:
          A: x
          OPTS: [-a, -b]
        """)
    assert error(schema.get_str_map, doc, "env", ("s",)) == "line 3: s.env.OPTS: must be a string, got a list"
    assert schema.get_str_map(doc, "env", ("s",), lists=True) == {"A": "x", "OPTS": "-a -b"}


def test_get_str_map_refuses_mappings_even_deep_in_a_list():
    doc = parse("""
        env:
          OPTS: [-a, [-b, {c: d}]]
          DEEP: {x: 1}
        """)
    assert error(schema.get_str_map, doc, "env", ("s",), lists=True) == (
        "line 2: s.env.OPTS: must be a string or a list, got a mapping"
    )
    del doc["env"]["OPTS"]
    assert error(schema.get_str_map, doc, "env", ("s",), lists=True) == (
        "line 3: s.env.DEEP: must be a string or a list, got a mapping"
    )
    assert error(schema.get_str_map, doc, "env", ("s",)) == "line 3: s.env.DEEP: must be a string, got a mapping"


def test_get_str_map_must_be_a_mapping():
    assert error(schema.get_str_map, {"labels": ["a"]}, "labels", ("i",)) == "i.labels: must be a mapping, got a list"


def test_get_str_map_binary_values():
    assert schema.get_str_map({"env": {"A": b"hi"}}, "env", ()) == {"A": "hi"}
    assert error(schema.get_str_map, {"env": {"RAW": b"\xff\xfe"}}, "env", ("s",), lists=True) == (
        "s.env.RAW: a !!binary value must be UTF-8 text"
    )


def test_nested_mapping():
    inner = {"c": "d"}
    assert schema._nested_mapping(["a", ["b", inner], {"e": 1}]) is inner
    assert schema._nested_mapping(inner) is inner
    assert schema._nested_mapping(["a", ["b"]]) is None
    assert schema._nested_mapping("a") is None


@pytest.mark.parametrize(
    "value, text",
    [
        (None, ""),
        ("x", "x"),
        (True, "True"),
        (False, "False"),
        (0, "0"),
        (1.5, "1.5"),
        ([], ""),
        (["-a", ["-b", ["-c"]], 1, None], "-a -b -c 1 "),
        (b"hello", "hello"),
        ([b"hi", "there"], "hi there"),
    ],
)
def test_env_value(value, text):
    assert schema.env_value(value) == text


# ---------------------------------------------------------------- the key tables


def test_ship_defaults_take_every_ship_key_but_the_address():
    assert {"ip", "endpoint"} == schema.SHIP_KEYS - schema.SHIP_DEFAULT_KEYS


def test_every_check_type_has_its_required_key():
    assert set(schema.CHECK_REQUIRED) == set(schema.CHECK_KEYS)
    assert all(schema.CHECK_REQUIRED[kind] in keys for kind, keys in schema.CHECK_KEYS.items())


def test_instance_keys_that_services_share():
    """What a service may set for all its instances; the rest is an instance setting."""
    assert {
        "image",
        "env",
        "envfile",
        "ports",
        "lifecycle",
        "limits",
        "healthcheck",
    } == schema.SERVICE_KEYS & schema.INSTANCE_KEYS
