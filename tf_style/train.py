"""``python -m tf_style.train``: the training command, kept at the tutorial's address.

The command lives in :mod:`tf_style.commands.train`; this name stays so that every
documented command line keeps working.
"""

import sys

from tf_style.commands.train import build_parser, main

__all__ = ["build_parser", "main"]

if __name__ == "__main__":
    sys.exit(main())
