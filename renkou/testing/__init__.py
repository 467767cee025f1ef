"""Test support shared by every app's tests, loaded as pytest plugins from
``renkou/conftest.py`` (``pytest_plugins``)."""
