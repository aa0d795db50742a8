"""``python -m betal`` runs the command line."""

import sys

from betal.cli import main

sys.exit(main())
