"""The tiny app's panel on the home page: declared here and by ``dashboard_order``."""

from renkou.core.dashboard import Figure, Panel, PanelSpec


def hello(request):
    return [Panel("hello", "Tiny panel", figures=[Figure("answer", "42")])]


PANELS = (PanelSpec("view_tiny", hello),)
