"""Models of data quality."""
