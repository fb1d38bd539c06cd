"""`python3 -m pip` inside a pipeline task: the shim's entry point (see `__init__`)."""

import sys

from . import main

sys.exit(main())
