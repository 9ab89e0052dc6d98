"""The pure sizing pipeline: from an account, its rules and a market snapshot to a decision.

``decide(inputs)`` is the whole pipeline; ``load_scenario`` builds its inputs from one JSON
document (what ``aria decide`` reads).
"""

from aria.sizing.decision import Decision, Factor, LimitCheck, RejectCode
from aria.sizing.errors import (
    InstrumentFileError,
    InvalidRequest,
    ProfileError,
    ScenarioError,
    SizingError,
    UnknownInstrument,
    UnknownPreset,
)
from aria.sizing.inputs import (
    DecisionInputs,
    MarketSnapshot,
    OtherAccount,
    Reservation,
    TradeRequest,
)
from aria.sizing.instruments import Instrument, InstrumentCatalog, load_instruments
from aria.sizing.pipeline import decide
from aria.sizing.profiles import Method, Profile, preset_names, resolve_profile
from aria.sizing.scenario import Scenario, load_scenario

__all__ = [
    "Decision",
    "DecisionInputs",
    "Factor",
    "Instrument",
    "InstrumentCatalog",
    "InstrumentFileError",
    "InvalidRequest",
    "LimitCheck",
    "MarketSnapshot",
    "Method",
    "OtherAccount",
    "Profile",
    "ProfileError",
    "RejectCode",
    "Reservation",
    "Scenario",
    "ScenarioError",
    "SizingError",
    "TradeRequest",
    "UnknownInstrument",
    "UnknownPreset",
    "decide",
    "load_instruments",
    "load_scenario",
    "preset_names",
    "resolve_profile",
]
