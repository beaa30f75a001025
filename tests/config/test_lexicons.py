"""The ad-feature lexicons in config/lexicons/: they load, carry their evidence, and broken files are one-line errors."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from config.errors import ConfigError
from config.lexicons import BUNDLED_LEXICONS_DIR, FILES, load_lexicons


def test_bundled_lexicons_load_with_labels_and_a_version():
    lexicons = load_lexicons()
    assert set(lexicons.labels) == set(FILES)
    assert all(label and label[0].isupper() for label in lexicons.labels.values())
    assert len(lexicons.version) == 12 and lexicons.version == load_lexicons().version
    assert "ung" in lexicons.youth_language.all_cues and "äkta" in lexicons.trust_language.all_cues


def test_every_lexicon_file_documents_its_evidence():
    readme = (BUNDLED_LEXICONS_DIR / "README.md").read_text(encoding="utf-8")
    assert "Lugo-Graulich" in readme and "not** a significant predictor" in readme
    for name in FILES.values():
        text = (BUNDLED_LEXICONS_DIR / name).read_text(encoding="utf-8")
        assert text.startswith("#") and ("Lugo-Graulich" in text or "NIJ" in text), name


def test_new_in_town_and_young_ages_are_not_cues():
    lexicons = load_lexicons()
    every_cue = {cue for name in ("stated_ethnicity", "youth_language", "trust_language")
                 for cue in getattr(lexicons, name).all_cues}
    assert not {"ny i stan", "new in town", "18", "19", "20", "21", "22"} & every_cue


@pytest.fixture
def copy_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "lexicons"
    shutil.copytree(BUNDLED_LEXICONS_DIR, folder)
    return folder


@pytest.mark.parametrize("broken, expected", [
    ("feature: youth_language\nlabel: x\ncues: [not, a, mapping]\n", "cues"),
    ("feature: trust_language\nlabel: x\ncues: {sv: [a]}\n", "feature"),
    ("feature: youth_language\ncues: {sv: [a]}\n", "label"),
    ("feature: youth_language\nlabel: x\ncues: {sv: [a]}\nsurprise: 1\n", "surprise"),
    (": : :\n\t- nope", "not valid YAML"),
])
def test_a_broken_lexicon_is_a_one_line_config_error(copy_dir: Path, broken: str, expected: str):
    (copy_dir / "youth.yaml").write_text(broken, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_lexicons(copy_dir)
    message = str(caught.value)
    assert "youth.yaml" in message and expected in message and "\n" not in message


def test_a_missing_lexicon_is_a_config_error(copy_dir: Path):
    (copy_dir / "touring.yaml").unlink()
    with pytest.raises(ConfigError, match="touring.yaml"):
        load_lexicons(copy_dir)


def test_the_version_changes_with_any_file(copy_dir: Path):
    before = load_lexicons(copy_dir).version
    path = copy_dir / "trust.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    from config import lexicons as module

    module._load.cache_clear()  # files are read once per process and folder
    assert load_lexicons(copy_dir).version != before
