"""ketrev: the evidence base of a systematic review of ketamine's rapid antidepressant
mechanisms, loaded, validated and tabulated."""

from ketrev.errors import DataError, KetrevError, Problem, UsageError
from ketrev.evidence import Evidence, load_evidence
from ketrev.inclusion import InclusionSet, load_inclusion, select

__version__ = "0.1.0"

__all__ = [
    "DataError",
    "Evidence",
    "InclusionSet",
    "KetrevError",
    "Problem",
    "UsageError",
    "__version__",
    "load_evidence",
    "load_inclusion",
    "select",
]
