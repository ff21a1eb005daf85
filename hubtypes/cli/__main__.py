import sys

from hubtypes.cli import main

sys.exit(main())
