"""Home-page panels of the service records."""

PANELS: tuple = ()
