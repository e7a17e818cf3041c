"""The Streamlit pages of sinkledger: one module per page or role, plus shared helpers.

Pages read widgets, call the service API (``sinkledger.service``, ``sinkledger.court_service``,
``sinkledger.ui_queries``, ``sinkledger.admin``) and render the result. They hold no SQL and no
business rules; a refusal is shown with its catalogue message in the chosen language.
"""
