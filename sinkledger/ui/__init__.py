"""The Streamlit pages of sinkledger: one module per page or role, plus shared helpers.

Pages read widgets, call the service API (``sinkledger.services.registry``, ``sinkledger.services.court``,
``sinkledger.services.queries``, ``sinkledger.services.admin``) and render the result. They hold no SQL and no
business rules; a refusal is shown with its catalogue message in the chosen language.
"""
