"""Which pages the app has (url path → module, function, title key, icon), which roles see which,
and which go without the widget-localising script: data only, importing nothing, so that the
server can route every page's address before any page module loads (``app.py``,
``sinkledger/ui/shell.py``; tests/ui/test_settled_heap.py). ``navigation`` builds the menu from it.
"""

from __future__ import annotations

# url_path → (module, function, title key, icon)
PAGES = {
    "overview": ("public", "explorer_page", "page_overview", ":material/insights:"),
    "map": ("public", "map_page", "page_map", ":material/map:"),
    "statistics": ("public", "statistics_page", "page_statistics", ":material/bar_chart:"),
    "certificate": ("public", "certificate_page", "page_certificate", ":material/verified:"),
    "registry": ("public_registry", "registry_page", "page_registry", ":material/search:"),
    "signin": ("signin", "signin_page", "page_signin", ":material/login:"),
    "parcels": ("parcels", "parcels_page", "page_parcels", ":material/map:"),
    "register": ("register", "register_page", "page_register", ":material/draw:"),
    "account": ("account", "account_page", "page_account", ":material/account_balance_wallet:"),
    "verify": ("verifier", "verifier_page", "page_verify", ":material/task_alt:"),
    "sale": ("clerk", "sale_page", "page_sale", ":material/receipt_long:"),
    "sales": ("clerk", "history_page", "page_sales", ":material/history:"),
    "cases": ("court", "cases_page", "page_cases", ":material/gavel:"),
    "calculator": ("court", "calculator_page", "page_calculator", ":material/calculate:"),
    "pledges": ("bank", "pledges_page", "page_pledges", ":material/account_balance:"),
    "losses": ("insurer", "losses_page", "page_losses", ":material/ac_unit:"),
    "users": ("admin_users", "users_page", "page_users", ":material/group:"),
    "income": ("income_household", "household_income_page", "page_inc_my_income", ":material/payments:"),
    "income_coop": ("income_coop", "coop_income_page", "page_inc_coop", ":material/payments:"),
    "income_contracts": ("income_centre", "centre_contracts_page", "page_inc_contracts", ":material/handshake:"),
    "income_centre": ("income_centre", "centre_income_page", "page_inc_centre", ":material/payments:"),
    "income_paylist": ("income_paylist", "payment_list_page", "page_inc_paylist", ":material/request_quote:"),
    "liens": ("bank", "liens_page", "page_inc_liens", ":material/lock:"),
    "my_details": ("people", "my_details_page", "page_my_details", ":material/badge:"),
    "households": ("people", "households_page", "page_households", ":material/diversity_3:"),
    "personal_data": ("people_admin", "personal_data_page", "page_personal_data", ":material/shield_person:"),
    "batch": ("batch", "batch_page", "page_batch", ":material/stacked_line_chart:"),
    # issue 22 (helper h7): the price index, index insurance, pricing factors
    "prices": ("prices", "public_index_page", "page_price_index", ":material/show_chart:"),
    "index_insurance": ("prices", "index_insurance_page", "page_index_insurance", ":material/price_check:"),
    "my_policies": ("prices", "coop_policies_page", "page_my_policies", ":material/price_check:"),
    "pricing_factors": ("prices", "pricing_factors_page", "page_pricing_factors", ":material/eco:"),
    # issue 22 (helper h8): compensation programmes and quota obligations
    "authority": ("instruments", "authority_page", "page_authority", ":material/account_balance:"),
    "obligations": ("instruments", "enterprise_obligations_page", "page_obligations", ":material/fact_check:"),
}

ROLE_PAGES: dict[str, tuple[str, ...]] = {
    "public": ("signin",),
    "cooperative": ("parcels", "register", "account", "income_coop", "batch", "households", "my_policies"),
    "household": ("income", "account", "my_details"),  # a household holds no credits: its income first
    "collection_centre": ("parcels", "register", "account", "income_contracts", "income_centre", "income_paylist",
                          "batch", "households", "pricing_factors"),
    "trading_clerk": ("sale", "sales"),
    "enterprise": ("account", "obligations"),
    "verifier": ("verify",),
    "court": ("cases", "calculator"),
    "procurator": ("cases", "calculator"),
    "bank": ("pledges", "liens"),
    "insurer": ("losses", "index_insurance"),
    "admin": ("users", "personal_data", "parcels", "pricing_factors"),
    "authority": ("authority",),  # issue 22 (helper h8)
}
PUBLIC_PAGES = ("overview", "map", "statistics", "registry", "certificate", "prices")
# Pages whose first view draws none of the widgets whose own texts widgets.localise_script puts in
# the UI's language (uploader, select box, multiselect, date input): they go without the script,
# and so without the scripts st.html loads in the browser on a first visit (about 60 ms a page,
# BENCHMARKS.md issue 17). A part of such a page that draws one later puts the script there
# itself (the price index's trace, the registry's project search: widgets.localise_widgets).
# tests/ui/test_pages.py checks the list.
PLAIN_PAGES = ("overview", "statistics", "registry", "prices")
