"""`python -m inclusive_check`: the same command line as `inclusive-check`, for environments without the script."""

from .cli import main

main()
