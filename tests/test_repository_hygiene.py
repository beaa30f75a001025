"""No real person's number in the repository: committed phone numbers come only from PTS's fiction ranges."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import phonenumbers

from support import FICTION_RANGES

ROOT = Path(__file__).resolve().parents[1]
TEXT_SUFFIXES = {".py", ".html", ".json", ".yaml", ".yml", ".md", ".csv", ".txt", ".toml", ".cfg", ".ini"}
SKIP_PARTS = {"geo"}  # SCB/GeoNames tables: codes and populations, no phone numbers


def in_fiction_range(number: phonenumbers.PhoneNumber) -> bool:
    national = number.national_number
    return any(low <= national <= high for low, high in FICTION_RANGES)


def committed_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split()
    return [ROOT / f for f in listed if Path(f).suffix in TEXT_SUFFIXES and not SKIP_PARTS & set(Path(f).parts)]


def swedish_numbers(text: str):
    # Runs of digits/separators are joined first, so numbers split across <span>s are found too.
    joined = re.sub(r"</span>\s*<span>", "", text)
    for match in phonenumbers.PhoneNumberMatcher(joined, "SE", leniency=phonenumbers.Leniency.VALID):
        if phonenumbers.region_code_for_number(match.number) == "SE":
            yield match.raw_string, match.number


def test_every_committed_phone_number_is_a_fiction_number():
    offenders = []
    for path in committed_files():
        for raw, number in swedish_numbers(path.read_text(encoding="utf-8", errors="ignore")):
            if not in_fiction_range(number):
                offenders.append(f"{path.relative_to(ROOT)}: {raw}")
    assert offenders == []


def test_the_check_catches_a_real_looking_number():
    outside_fiction = "070-174 07" + " 05"  # built at run time, so no such number is committed
    found = list(swedish_numbers(f"ring {outside_fiction} eller <span>070</span><span>-174 06 05</span>"))
    assert [in_fiction_range(n) for _, n in found] == [False, True]
