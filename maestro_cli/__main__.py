# Copyright: maestro.ng contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""python -m maestro_cli ... (the `maestro` command)."""

import sys

from maestro_cli.cli import main

if __name__ == "__main__":
    sys.exit(main())
