"""The migrant application's background jobs."""

JOBS: tuple = ()
