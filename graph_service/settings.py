"""One settings object, read from TECHMATCH_* environment variables or a .env file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TECHMATCH_", env_file=".env", extra="ignore")

    store: Literal["sqlite", "neo4j"] = "sqlite"
    sqlite_path: Path = Path("data/techmatch.sqlite")
    neo4j_uri: str = "bolt://localhost:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr("techmatch-dev")
    neo4j_database: str = "neo4j"
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    demo_tier: Literal["tiny", "city"] = "city"
    data_dir: Path = Path("data")
    model_dir: Path = Path("data/models")  # written by `techmatch train`, loaded at start
    fairs_dir: Path = Path("data/fairs")  # one directory per fair (see graph_service/fair/workspace.py)
    fairness_strength: float = Field(0.0, ge=0.0, le=10.0)  # 0 = off; damping of often-shown candidates
    stalled_days: int = Field(14, ge=1, le=365)  # a case with no activity for longer is stalled (reminders)
    # signs access tokens; required unless `demo` (set by `techmatch demo`, which makes a throw-away one)
    secret_key: SecretStr | None = None
    demo: bool = False
    token_minutes: int = Field(60, ge=1, le=24 * 60)
    max_body_bytes: int = Field(1 << 20, ge=1024)  # JSON bodies (413 above)
    max_upload_bytes: int = Field(64 << 20, ge=1024)  # CSV imports, streamed to disk (413 above)
    # per account (or per address when anonymous), "N/minute" in the `limits` notation
    rate_expensive: str = "30/minute"  # planning jobs, projection rebuilds
    rate_recommend: str = "240/minute"  # recommendations
    rate_sign_in: str = "20/minute"  # sign-in attempts per address: slows password guessing

    @field_validator("rate_expensive", "rate_recommend", "rate_sign_in")
    @classmethod
    def _rate(cls, value: str) -> str:
        from limits import parse  # checked at start: a bad limit must not turn routes into errors later

        try:
            parse(value)
        except ValueError as e:
            raise ValueError(f"not a rate limit such as '30/minute': {value!r} ({e})") from None
        return value

    @field_validator("neo4j_uri")
    @classmethod
    def _known_scheme(cls, uri: str) -> str:
        schemes = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")
        if not uri.startswith(schemes):
            raise ValueError(f"TECHMATCH_NEO4J_URI must start with one of {', '.join(schemes)}")
        return uri


@lru_cache
def get_settings() -> Settings:
    return Settings()
