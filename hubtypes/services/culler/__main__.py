"""``python -m hubtypes.services.culler``."""

from hubtypes.services.culler.app import main

main()
