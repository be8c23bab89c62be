#!/usr/bin/env python
"""Django's command-line utility; `livingmap` is the same with a friendlier name."""

import sys

from livingmap.cli import main

if __name__ == "__main__":
    sys.exit(main())
