# Copyright: maestro.ng contributors
# Apache License 2.0 (see LICENSE)
"""python -m maestro_cli ... (the `maestro` command)."""
import sys

from maestro_cli.cli import main

if __name__ == "__main__":
    sys.exit(main())
