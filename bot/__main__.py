"""``python -m bot`` is the same as the ``carillon`` command."""

from bot.cli import main

raise SystemExit(main())
