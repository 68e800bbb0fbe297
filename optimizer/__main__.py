"""``python -m optimizer`` is the ``optimizer`` command."""

from optimizer.cli import main

main()
