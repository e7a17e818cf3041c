"""``python -m sinkledger``: the same as the ``sinkledger`` command."""

from sinkledger.cli.main import main

main()
