"""``python -m tf_style.studio``: the ``tf-style-studio`` command."""

import sys

from tf_style.studio.command import main

if __name__ == "__main__":
    sys.exit(main())
