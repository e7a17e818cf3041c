"""Small sound input files the baselines use (written on the fly, nothing shipped)."""

from __future__ import annotations

VERRA_HEADER = ("Issuance Date,Sustainable Development Goals,Vintage Start,Vintage End,ID,Name,Country/Area,"
                "Project Type,Methodology,Total Vintage Quantity,Quantity Issued,Serial Number,"
                "Additional Certifications,Retirement/Cancellation Date,Retirement Beneficiary,Retirement Reason,"
                "Retirement Details")


def verra_transactions() -> str:
    """One active (issued, not retired) Verra serial block of 425 VCUs, in the export's layout
    (the first row of the OffsetsDB sample without its retirement date)."""
    row = ("2026-04-03,,2020-01-01,2020-12-31,1340,Bale Mountains Eco-region REDD+ project,Ethiopia,"
           "Agriculture Forestry and Other Land Use,VM0015,\"1,454,054\",425,"
           "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1,CCB-No Distinction,,,,")
    return VERRA_HEADER + "\n" + row + "\n"
