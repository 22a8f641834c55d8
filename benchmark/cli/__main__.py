"""``python -m benchmark.cli``: the same as ``arb``."""

import sys

from benchmark.cli import main

sys.exit(main())
