"""`python -m platformctl`: the command line, as the console script runs it."""

from platformctl.cli import main

main()
