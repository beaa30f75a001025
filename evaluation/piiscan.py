"""The PII guard: scan the data folder, logs, Scrapy folders and the database for known plaintext values."""
from __future__ import annotations

import json
import re
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from sqlalchemy import MetaData, select

SCRAPY_FOLDERS = (".scrapy",)  # Scrapy's job and HTTP-cache folders, relative to a scanned root or the cwd


@dataclass(frozen=True)
class Hit:
    where: str  # a file path, or "database:<table>.<column>"
    value: str  # which known value was found (the caller's own test value)


def phone_forms(e164: str) -> set[str]:
    """Every written form of a Swedish number a leak could take (+46701740605, 070-1740605, 070 1740605 …)."""
    national = "0" + e164[3:]
    digits = e164[1:]
    forms = {e164, national, digits, e164[3:], "00" + digits}
    for area in (2, 3, 4):  # 070-1740605 / 08-46500412 / 0980-319212 style splits
        forms.add(f"{national[:area]}-{national[area:]}")
        forms.add(f"{national[:area]} {national[area:]}")
    return {form for form in forms if len(form) >= 7}


_SENTENCE = re.compile(r"(?<=[.!?])\s+")
MIN_SENTENCE_NEEDLE = 15  # shorter pieces could turn up by chance in tokens and sketches


def sentences(text: str) -> set[str]:
    """The sentences of an ad text long enough to be a leak of its wording (not a chance match)."""
    return {part.strip() for part in _SENTENCE.split(text) if len(part.strip()) >= MIN_SENTENCE_NEEDLE
            and " " in part.strip()}


def needles_from_truth(truth: dict) -> set[str]:
    """The plaintext values of a sandbox ground truth that must never be stored.

    Besides whole titles and texts, every sentence of a text: only keyed sketches of the wording are
    kept, so no part of it may appear either.
    """
    needles: set[str] = set()
    for item in truth["listings"]:
        if item.get("phone_e164"):
            needles |= phone_forms(item["phone_e164"])
        for field in ("phone_text", "title", "text", "site_ad_id", "site_profile_id"):
            if item.get(field):
                needles.add(item[field])
        if item.get("text"):
            needles |= sentences(item["text"])
    needles |= demand_needles(truth)
    return needles


def demand_needles(truth: dict) -> set[str]:
    """Buyers' ads (titles, texts, ids) and reviews (reviewer handles, titles, texts, ids) of a ground truth."""
    needles: set[str] = set()
    for item in truth.get("requests", ()):
        for field in ("title", "text", "site_ad_id", "site_profile_id"):
            if item.get(field):
                needles.add(item[field])
        if item.get("text"):
            needles |= sentences(item["text"])
    for review in truth.get("reviews", ()):
        for field in ("reviewer_handle", "title", "text", "review_id"):
            if review.get(field):
                needles.add(review[field])
        if review.get("text"):
            needles |= sentences(review["text"])
    return needles


def scan_files(roots: Iterable[Path], needles: set[str]) -> list[Hit]:
    """Every file under the roots (and any Scrapy folder beside them) that contains a needle, as raw bytes."""
    encoded = [(needle, needle.encode("utf-8")) for needle in sorted(needles) if needle]
    hits = []
    folders = {Path(root) for root in roots} | {Path(root) / name for root in roots for name in SCRAPY_FOLDERS}
    folders |= {Path.cwd() / name for name in SCRAPY_FOLDERS}
    for folder in sorted(f for f in folders if f.exists()):
        for path in sorted(folder.rglob("*")) if folder.is_dir() else [folder]:
            if not path.is_file():
                continue
            data = path.read_bytes()
            hits += [Hit(str(path), needle) for needle, raw in encoded if raw in data]
    return hits


def scan_database(engine, needles: set[str]) -> list[Hit]:
    """Every stored value, in every table and column, checked for needles (works on SQLite and PostgreSQL)."""
    metadata = MetaData()
    metadata.reflect(engine)
    hits = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                for column, value in zip(table.columns, row):
                    if value is None:
                        continue
                    text = str(value)
                    hits += [Hit(f"database:{table.name}.{column.name}", needle) for needle in needles if needle in text]
    return hits


def scan(data_folder: Path, engine, needles: set[str]) -> list[Hit]:
    """The whole guard: files under the data folder (database files, logs, exports, keys) and the database."""
    return scan_files([data_folder], needles) + scan_database(engine, needles)


class NotLocalTruth(ValueError):
    """A truth URL that is not the local sandbox's."""


def load_truth(source: str) -> dict:
    """A sandbox ground truth from a URL on 127.0.0.1/localhost, or from a JSON file."""
    if source.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]")):
        with urllib.request.urlopen(source, timeout=30) as response:
            return json.load(response)
    if source.startswith(("http://", "https://")):
        raise NotLocalTruth("--truth URLs must point at the local sandbox (127.0.0.1 or localhost)")
    return json.loads(Path(source).read_text(encoding="utf-8"))


def needles_from_values(lines: Iterable[str]) -> set[str]:
    """Known plaintext values, one per line; a +46 number stands for every form it can be written in."""
    needles: set[str] = set()
    for line in lines:
        value = line.strip()
        if value.startswith("+46") and value[1:].isdigit():
            needles |= phone_forms(value)
        elif value:
            needles.add(value)
    return needles
