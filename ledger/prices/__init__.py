"""Beyond a sale (issue 22): the carbon-sink price index from recorded sales, price index
insurance on it, and pricing factors that give a reference price beside it (docs/prices.md).

``store`` (tables), ``trades`` (a sale's trade lines), ``method`` (the index rule and its
queries), ``insurance`` (policies and settlements), ``factors`` (pricing factors and the
reference price), ``audit`` (what ``verify`` derives from the journal).
"""
