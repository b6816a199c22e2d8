"""``python -m tf_style.compare``: the comparison command, at its documented address.

The command lives in :mod:`tf_style.commands.compare`.
"""

import sys

from tf_style.commands.compare import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
