"""Process-wide settings read from LAGESBILD_* environment variables."""
from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLED_SITES_DIR = PACKAGE_DIR / "sites"
GEO_DIR = PACKAGE_DIR / "geo"
DEFAULT_SANDBOX_URL = "http://127.0.0.1:8765"
# The protective minimum thresholds of disclosure control (analysis.disclosure's defaults): lower ones only
# with LAGESBILD_DISCLOSURE_UNSAFE_FOR_TESTS=1, and every output then says it is not for publication.
MIN_SMALL_CELL_THRESHOLD = 5
MIN_SIGNAL_THRESHOLD = 10
UNSAFE_FLAG = "LAGESBILD_DISCLOSURE_UNSAFE_FOR_TESTS"


class Settings(BaseSettings):
    """Settings with defaults; every field can be set as LAGESBILD_<FIELD>."""

    model_config = SettingsConfigDict(env_prefix="LAGESBILD_", extra="ignore", frozen=True)

    home: Path = Path("var")
    database_url: str | None = None
    key_dir: Path | None = None
    key_period: str = "year"
    place_aliases_file: Path | None = None
    sites_dir: Path = BUNDLED_SITES_DIR
    sandbox_url: str = DEFAULT_SANDBOX_URL
    user_agent: str = "lagesbild/0.1 (+https://www.jamstalldhetsmyndigheten.se; NSPM market monitoring)"
    log_level: str = "INFO"
    # Declared before the thresholds: their validators read it.
    disclosure_unsafe_for_tests: bool = False
    small_cell_threshold: int = 5
    # Disclosure control (analysis.disclosure): "suppression" (the default) or "ckm" (the Cell Key Method),
    # and the stricter threshold for signal measures such as profiles in shared-phone clusters.
    disclosure_method: Literal["suppression", "ckm"] = "suppression"
    signal_threshold: int = 10
    retention_days: int = 395  # observations older than this are purged (after their periods are frozen)
    # Scheduler (scheduler/): isolated crawl processes, misfires and the one-scheduler lease.
    crawl_timeout_s: int = 5 * 3600  # wall-clock limit of one scheduled crawl process (killed after it)
    crawl_memory_mb: int = 2048  # memory cap of one scheduled crawl process (and its browser)
    schedule_timezone: str = "Europe/Stockholm"  # cron schedules are read in this time zone
    schedule_misfire_grace_s: int = 6 * 3600  # a run missed by less than this (machine off) still runs once
    lease_ttl_s: int = 60  # a dead scheduler's or crawl's lease expires this long after its last renewal
    # Health checks after every run (scheduler/health.py).
    health_history_runs: int = 10  # the site's recent complete/partial runs that form the baseline
    health_min_history: int = 3  # fewer earlier runs than this: no comparison with the median
    health_min_ratio: float = 0.5  # items or pages below this fraction of the recent median: suspect
    health_fill_ratio: float = 0.5  # a field's fill rate below this fraction of its recent median: suspect
    health_max_error_rate: float = 0.1  # (request errors + parse failures) / pages above this: suspect
    # Alerts on failed and suspect runs: e-mail and/or a webhook (JSON POST).
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "lagesbild@localhost"
    smtp_to: str | None = None  # comma-separated addresses
    alert_webhook_url: str | None = None

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return level

    @field_validator("key_period")
    @classmethod
    def _known_policy(cls, value: str) -> str:
        if value not in {"year", "quarter", "month", "manual"}:
            raise ValueError("must be one of year, quarter, month, manual")
        return value

    @field_validator("small_cell_threshold", "signal_threshold")
    @classmethod
    def _protective(cls, value: int, info: ValidationInfo) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        minimum = MIN_SMALL_CELL_THRESHOLD if info.field_name == "small_cell_threshold" else MIN_SIGNAL_THRESHOLD
        if value < minimum and not info.data.get("disclosure_unsafe_for_tests"):
            raise ValueError(f"must be at least {minimum} (the protective minimum); lower only for tests, "
                             f"with {UNSAFE_FLAG}=1, and every output is then marked not for publication")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        usage = "use sqlite:///path or postgresql+psycopg://user@host:port/db"
        try:
            url = make_url(value)
            port = url.port
        except (ArgumentError, ValueError):
            raise ValueError(f"is not a database URL; {usage}") from None
        if url.drivername.split("+")[0] not in {"sqlite", "postgresql", "postgres"}:
            raise ValueError(f"unsupported database {url.drivername!r}; {usage}")
        if port is not None and not 1 <= port <= 65535:
            raise ValueError("port must be from 1 to 65535")
        return value

    @field_validator("sandbox_url")
    @classmethod
    def _sandbox_url(cls, value: str) -> str:
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(value)
            port = parts.port
        except ValueError as exc:
            raise ValueError(f"is not a URL ({exc})") from None
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("must be an http:// URL such as http://127.0.0.1:8765")
        if port is not None and not 1 <= port <= 65535:
            raise ValueError("port must be from 1 to 65535")
        return value

    @field_validator("retention_days")
    @classmethod
    def _at_least_one_day(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @field_validator("crawl_timeout_s", "crawl_memory_mb", "schedule_misfire_grace_s", "lease_ttl_s",
                     "health_history_runs", "health_min_history")
    @classmethod
    def _positive_int(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @field_validator("smtp_port")
    @classmethod
    def _port(cls, value: int) -> int:
        if not 1 <= value <= 65535:
            raise ValueError("must be a port number from 1 to 65535")
        return value

    @field_validator("health_min_ratio", "health_fill_ratio", "health_max_error_rate")
    @classmethod
    def _fraction(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError("must be a number from 0 to 1")
        return value

    @field_validator("schedule_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as Europe/Stockholm") from None
        return value

    @field_validator("alert_webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value or None

    @property
    def alert_recipients(self) -> list[str]:
        return [address.strip() for address in (self.smtp_to or "").split(",") if address.strip()]

    @cached_property
    def resolved_home(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.resolved_home / 'lagesbild.db'}"

    @property
    def resolved_key_dir(self) -> Path:
        """The study-period key directory: outside the database, mountable from a secrets store."""
        if self.key_dir:
            return self.key_dir.expanduser().resolve()
        return self.resolved_home / "keys"

    @property
    def resolved_place_aliases_file(self) -> Path:
        """The user's own place aliases (CSV alias,kommunkod[,note]); used when the file exists."""
        if self.place_aliases_file:
            return self.place_aliases_file.expanduser().resolve()
        return self.resolved_home / "place_aliases.csv"

    @property
    def population_file(self) -> Path:
        """Population written by `lagesbild geo refresh`; replaces the bundled 2019 figures when present."""
        return self.resolved_home / "geo" / "folkmangd_kommun.csv"

    @property
    def log_dir(self) -> Path:
        return self.resolved_home / "logs"

    @property
    def export_dir(self) -> Path:
        return self.resolved_home / "exports"


def load_settings() -> Settings:
    """Read settings from the environment, turning validation errors into ConfigError."""
    if "LAGESBILD_KEY_FILE" in os.environ:
        raise ConfigError("environment", "LAGESBILD_KEY_FILE",
                          "replaced by LAGESBILD_KEY_DIR (one key file per study period); see `lagesbild keys status`")
    try:
        return Settings()
    except ValidationError as exc:
        # Every bad value, each named by its variable, in one line.
        problems = [(_variable(error["loc"]), error["msg"].removeprefix("Value error, ")) for error in exc.errors()]
        (field, first), rest = problems[0], problems[1:]
        raise ConfigError("environment", field, "; ".join([first, *(f"{v}: {m}" for v, m in rest)])) from None


def _variable(loc: tuple) -> str:
    return "LAGESBILD_" + str(loc[0]).upper() if loc else "LAGESBILD_*"


def load_settings_geography(settings: Settings):
    """The geography with the population file from `geo refresh`, when there is one."""
    from config.geo import load_geography

    population = settings.population_file
    return load_geography(population_file=population) if population.exists() else load_geography()
