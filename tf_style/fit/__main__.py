"""``python -m tf_style.fit``: the training command (:mod:`tf_style.commands.fit`)."""

import sys

from tf_style.commands.fit import main

if __name__ == "__main__":
    sys.exit(main())
