"""``python -m tf_style.fit``: the training command (:mod:`tf_style.fit.command`)."""

import sys

from tf_style.fit.command import main

if __name__ == "__main__":
    sys.exit(main())
