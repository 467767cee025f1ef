"""The migrant application's home-page panels."""

PANELS: tuple = ()
