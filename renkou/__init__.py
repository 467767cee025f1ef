"""renkou (人口): population and family-development information system."""

__version__ = "0.1.0"
