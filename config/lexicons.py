"""Ad-feature lexicons: the YAML files in config/lexicons/ (cue words per feature, with their evidence).

The crawler reads an ad's title and text in memory and keeps only booleans derived with these
lexicons (parsers/features.py). See config/lexicons/README.md for the evidence behind each feature.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from config.errors import ConfigError

BUNDLED_LEXICONS_DIR = Path(__file__).resolve().parent / "lexicons"
PHRASE_FEATURES = ("stated_ethnicity", "youth_language", "trust_language")
FILES = {"obscured_phone": "obscured_phone.yaml", "stated_ethnicity": "ethnicity.yaml",
         "youth_language": "youth.yaml", "trust_language": "trust.yaml", "stated_touring": "touring.yaml"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PhraseLexicon(_Strict):
    """Cue words and phrases (Swedish and English); a cue next to an excluded word does not count."""

    feature: str
    label: str
    cues: dict[str, list[str]]
    not_after: list[str] = Field(default_factory=list)
    not_before: list[str] = Field(default_factory=list)

    @property
    def all_cues(self) -> tuple[str, ...]:
        return tuple(cue for language in sorted(self.cues) for cue in self.cues[language])


class ObscuredPhoneLexicon(_Strict):
    """How a number written to dodge filters is recognised: spelled-out digits, look-alike letters, spacing."""

    feature: str
    label: str
    digit_words: dict[str, dict[str, str]]
    lookalikes: dict[str, str]
    separators: list[str]
    min_digits: int = Field(ge=1)
    min_digit_words: int = Field(ge=1)
    min_lookalikes: int = Field(ge=1)
    min_single_digits: int = Field(ge=1)


class TouringLexicon(_Strict):
    """Touring cues, month names, and how close the date must follow the cue."""

    feature: str
    label: str
    cues: dict[str, list[str]]
    months: dict[str, list[str]]
    max_words_to_date: int = Field(ge=1)
    max_destination_words: int = Field(ge=1)

    @property
    def all_cues(self) -> tuple[str, ...]:
        return tuple(cue for language in sorted(self.cues) for cue in self.cues[language])


class Lexicons(_Strict):
    """Every ad-feature lexicon, and a version that changes whenever any file changes."""

    obscured_phone: ObscuredPhoneLexicon
    stated_ethnicity: PhraseLexicon
    youth_language: PhraseLexicon
    trust_language: PhraseLexicon
    stated_touring: TouringLexicon
    version: str

    @property
    def labels(self) -> dict[str, str]:
        return {name: getattr(self, name).label for name in FILES}


_MODELS = {"obscured_phone": ObscuredPhoneLexicon, "stated_touring": TouringLexicon}


def load_lexicons(directory: Path | None = None) -> Lexicons:
    """Read and validate the lexicon files; a missing or broken file is a one-line ConfigError."""
    folder = Path(directory) if directory is not None else BUNDLED_LEXICONS_DIR
    return _load(str(folder.resolve()))


@lru_cache(maxsize=4)
def _load(folder: str) -> Lexicons:
    parsed: dict[str, object] = {}
    digest = hashlib.sha256()
    for name, file_name in FILES.items():
        path = Path(folder) / file_name
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ConfigError(str(path), "", f"cannot read the lexicon ({exc.strerror or exc})") from None
        digest.update(file_name.encode() + b"\0" + raw)
        try:
            data = yaml.safe_load(raw.decode("utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ConfigError(str(path), "", f"not valid YAML ({problem})") from None
        if not isinstance(data, dict):
            raise ConfigError(str(path), "", "a lexicon file must be a mapping")
        try:
            model = _MODELS.get(name, PhraseLexicon).model_validate(data)
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(part) for part in error["loc"])
            raise ConfigError(str(path), field, error["msg"]) from None
        if model.feature != name:
            raise ConfigError(str(path), "feature", f"expected {name!r}, found {model.feature!r}")
        parsed[name] = model
    return Lexicons(**parsed, version=digest.hexdigest()[:12])
