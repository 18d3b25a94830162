"""taskwizard: a terminal wizard for Bitfount task templates."""

__version__ = "0.1.0"
