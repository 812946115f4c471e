"""Command line: ``python -m skdeep demo``."""

import sys

from skdeep._demo import main

if __name__ == "__main__":
    sys.exit(main())
