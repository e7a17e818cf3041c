"""Methodologies: versioned, pure estimators of net removals with cited parameters.

Start with :func:`get_methodology` and :meth:`Methodology.estimate`; see
``docs/methodologies/`` for each methodology's equations, parameters and inputs.
"""

from methodologies.base import (
                                Estimate,
                                EstimateWarning,
                                Methodology,
                                Parameter,
                                ParameterSet,
                                ParameterStatus,
                                TraceStep,
)
from methodologies.errors import InvalidInput, MethodologyError, MethodologyNotFound, Problem
from methodologies.registry import get_methodology, list_methodologies

__all__ = [
    "Estimate", "EstimateWarning", "InvalidInput", "Methodology", "MethodologyError",
    "MethodologyNotFound", "Parameter", "ParameterSet", "ParameterStatus", "Problem",
    "TraceStep", "get_methodology", "list_methodologies",
]
