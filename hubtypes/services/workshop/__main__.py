"""``python -m hubtypes.services.workshop``."""

from .app import main

main()
