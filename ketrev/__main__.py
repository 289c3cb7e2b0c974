"""Allow ``python -m ketrev``."""

import sys

from ketrev.cli import main

sys.exit(main())
