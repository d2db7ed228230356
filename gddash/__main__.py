"""``python -m gddash``: the command line, which lives in ``gddash.cli``."""

import sys

from gddash.cli import main

if __name__ == "__main__":
    sys.exit(main())
