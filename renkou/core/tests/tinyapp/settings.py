"""The project's settings with the tiny app installed: the one line an app adds."""

from renkou.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "renkou.core.tests.tinyapp"]  # noqa: F405
