"""``python -m helpers.synthetic``: see :mod:`helpers.synthetic.cli`."""

import sys

from .cli import main

sys.exit(main())
