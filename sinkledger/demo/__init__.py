"""The synthetic demo: parties, parcels, estimates, credits, sales, income and people.

Everything it writes is synthetic and labelled so (gis_data/README.md). ``seed`` builds the
registry's demo, ``income`` the income chain on top of it, ``people`` the households' details.
"""

DEMO_PASSWORD = "demo1234"  # every demo user's password (README: demo users)
