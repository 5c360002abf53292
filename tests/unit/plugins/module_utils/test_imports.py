"""Every engine module imports (a name moved from one module to another breaks its importers
only when they load: the action plugins and playbooks would find it first), and the engine's
folders are its layers: each imports, relatively, only from itself and the layers before it."""

import importlib
import pathlib
import re

import pytest

MODULE_UTILS = pathlib.Path(__file__).resolve().parents[4] / "plugins" / "module_utils"


@pytest.mark.parametrize(
    "name", sorted(".".join(p.relative_to(MODULE_UTILS).with_suffix("").parts) for p in MODULE_UTILS.rglob("*.py"))
)
def test_module_imports(name):
    importlib.import_module("ansible_collections.maestro.ng.plugins.module_utils." + name)


# The engine's layers, in pipeline order: a file imports only from its own layer and those before it;
# run/ and lab/ stand side by side. The shared files at the root ("") come first.
LAYERS = {"": 0, "model": 1, "docker": 2, "run": 3, "lab": 3}
RELATIVE = re.compile(r"^\s*from (\.+)([\w.]*) import ", re.M)


def test_each_layer_imports_only_the_layers_before_it_and_only_relatively():
    wrong = []
    for path in sorted(MODULE_UTILS.rglob("*.py")):
        here = path.relative_to(MODULE_UTILS).parts[:-1]
        text = path.read_text(encoding="utf-8")
        if "ansible_collections" in text:
            wrong.append("%s: imports the engine by its full name" % path.relative_to(MODULE_UTILS))
        for dots, module in RELATIVE.findall(text):
            target = list(here[: len(here) - (len(dots) - 1)]) + [part for part in module.split(".") if part]
            layer = target[0] if target and target[0] in LAYERS else ""
            mine = here[0] if here else ""
            if layer != mine and (LAYERS[layer] >= LAYERS[mine]):
                wrong.append("%s: from %s%s" % (path.relative_to(MODULE_UTILS), dots, module))
    assert wrong == []
