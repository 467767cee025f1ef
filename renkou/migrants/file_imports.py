"""The migrant application's imports from a file in the browser."""

FILE_IMPORTS: tuple = ()
