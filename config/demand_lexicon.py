"""The offer/request lexicon (config/lexicons/demand.yaml): cues that an ad asks to buy rather than offers."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from config.errors import ConfigError

DEMAND_LEXICON_FILE = Path(__file__).resolve().parent / "lexicons" / "demand.yaml"


class DemandLexicon(BaseModel):
    """Request cues, offer masks and offer cues, per language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1)
    request_cues: dict[str, list[str]]
    offer_masks: dict[str, list[str]] = Field(default_factory=dict)
    offer_cues: dict[str, list[str]] = Field(default_factory=dict)
    digest: str = ""

    @field_validator("request_cues", "offer_masks", "offer_cues")
    @classmethod
    def _no_empty_cue(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for language, cues in value.items():
            if any(not isinstance(cue, str) or not cue.strip() for cue in cues):
                raise ValueError(f"{language}: every cue must be a non-empty text")
        return value

    @staticmethod
    def _all(groups: dict[str, list[str]]) -> tuple[str, ...]:
        return tuple(" ".join(cue.casefold().split()) for language in sorted(groups) for cue in groups[language])

    @property
    def requests(self) -> tuple[str, ...]:
        return self._all(self.request_cues)

    @property
    def masks(self) -> tuple[str, ...]:
        return self._all(self.offer_masks)

    @property
    def offers(self) -> tuple[str, ...]:
        return self._all(self.offer_cues)


@lru_cache(maxsize=4)
def load_demand_lexicon(path: Path | None = None) -> DemandLexicon:
    """Read and validate the lexicon; a missing or broken file is a one-line ConfigError."""
    file = Path(path) if path is not None else DEMAND_LEXICON_FILE
    try:
        raw = file.read_bytes()
        data = yaml.safe_load(raw.decode("utf-8"))
    except OSError as exc:
        raise ConfigError(str(file), "", f"cannot read the lexicon ({exc.strerror or exc})") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(str(file), "", f"not valid YAML ({str(exc).splitlines()[0] if str(exc) else exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(str(file), "", "the lexicon must be a mapping")
    try:
        return DemandLexicon.model_validate({**data, "digest": hashlib.sha256(raw).hexdigest()[:8]})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ConfigError(str(file), where, first["msg"]) from None
