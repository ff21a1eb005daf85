"""``python -m hubtypes.services.workshop``."""

from hubtypes.services.workshop.app import main

main()
