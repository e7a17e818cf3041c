"""The command line, an edge over the services: ``main`` (the ``sinkledger`` group and the
ledger's commands), ``common`` (context, refusal printing, decorators), and one module per area
(``parcels``, ``methodologies``, ``court``, ``income``, ``people``)."""
