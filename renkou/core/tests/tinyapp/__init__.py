"""A tiny app that plugs itself into the platform without touching any central file:
installed only by :mod:`.settings` (the project's settings plus one line), it adds a
capability, a page, an API route and a menu entry (see ``test_registry.py``)."""
