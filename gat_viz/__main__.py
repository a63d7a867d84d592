"""`python -m gat_viz`: see gat_viz/cli.py."""

import sys

from gat_viz.cli import main

if __name__ == "__main__":
    sys.exit(main())
