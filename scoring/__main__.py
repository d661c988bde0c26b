"""``python -m scoring calibrate|score|simulate``: see :mod:`scoring.cli`."""

from .cli import main

raise SystemExit(main())
