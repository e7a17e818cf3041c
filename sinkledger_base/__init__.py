"""The base layer: small pieces every other layer uses, importing nothing else of sinkledger's.

``errors`` (refusals as values: a code and parameters), ``money`` (fen), ``canonical``
(canonical JSON and SHA-256), ``checks`` and ``jsondoc`` (input checks at the boundary) and
``rows`` (column helpers and append-only guards shared by the stores).
"""
