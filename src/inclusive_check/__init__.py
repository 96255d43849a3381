"""inclusive-check: executable, cited rules for China's 2024 inclusive-insurance guidance."""

__version__ = "0.1.0"
