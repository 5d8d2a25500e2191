"""`python -m hnn` is the `hnn` command."""
import sys

from hnn.cli import main

sys.exit(main())
