"""Test support shared by every app's tests: the test clock (``clock.py``, loaded by
``addopts`` in ``pyproject.toml`` so that it can add ``--clock``), and the factories and
fixtures (``factories.py``, ``fixtures.py``, listed in ``renkou/conftest.py``'s
``pytest_plugins``)."""
