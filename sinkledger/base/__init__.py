"""The base layer: small pieces every other layer may use; it imports nothing else of ours."""
