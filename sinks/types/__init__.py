"""One module per sink type; each defines ``SPEC`` (a :class:`sinks.SinkSpec`)."""
