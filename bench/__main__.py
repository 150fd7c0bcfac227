"""``python -m bench`` from the repository root."""

import sys

from bench.run import main

sys.exit(main())
