"""Every role has a README (Galaxy's importer refuses a collection whose role has none) naming each of its
options (meta/argument_specs.yml) and showing examples."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(path.name for path in (ROOT / "roles").iterdir() if path.is_dir())


@pytest.mark.parametrize("role", ROLES)
def test_the_role_readme_names_every_option_and_has_examples(role):
    readme = (ROOT / "roles" / role / "README.md").read_text()
    specs = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())
    options = specs["argument_specs"]["main"]["options"]
    assert readme.startswith("# maestro.ng.%s\n" % role)
    assert [name for name in options if "`%s`" % name not in readme] == []
    assert "## Examples\n\n```yaml\n" in readme and "role: maestro.ng.%s" % role in readme
