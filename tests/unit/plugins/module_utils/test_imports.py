"""Every engine module imports (a name moved from one module to another breaks its importers
only when they load: the action plugins and playbooks would find it first)."""

import importlib
import pathlib

import pytest

MODULE_UTILS = pathlib.Path(__file__).resolve().parents[4] / "plugins" / "module_utils"


@pytest.mark.parametrize(
    "name", sorted(".".join(p.relative_to(MODULE_UTILS).with_suffix("").parts) for p in MODULE_UTILS.rglob("*.py"))
)
def test_module_imports(name):
    importlib.import_module("ansible_collections.maestro.ng.plugins.module_utils." + name)
