"""``python -m sinkledger``: the same as the ``sinkledger`` command."""

from sinkledger.cli import main

main()
