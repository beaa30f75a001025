"""The HMAC key file: created once with mode 0600, read without ever printing its contents."""
from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

KEY_BYTES = 32


class KeyFileError(Exception):
    """The key file is missing, unreadable, malformed or too open."""


class SecretKey:
    """Key bytes that refuse to show themselves in repr, str or logs."""

    __slots__ = ("_material",)

    def __init__(self, material: bytes) -> None:
        if len(material) < KEY_BYTES:
            raise KeyFileError(f"key material must be at least {KEY_BYTES} bytes")
        self._material = material

    def reveal(self) -> bytes:
        return self._material

    def __repr__(self) -> str:
        return "SecretKey(<redacted>)"

    __str__ = __repr__

    def __reduce__(self):  # never pickled into a child process or a cache
        raise TypeError("SecretKey cannot be pickled")


def create_key_file(path: Path) -> None:
    """Write a fresh random key to `path` with mode 0600; never overwrites an existing file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(KEY_BYTES) + "\n")


def read_key_file(path: Path) -> SecretKey:
    """Read the key, refusing files that other users can read."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyFileError(f"key file {path} does not exist") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"key file {path} is readable by other users; run: chmod 600 {path}")
    text = path.read_text(encoding="ascii").strip()
    try:
        material = bytes.fromhex(text)
    except ValueError:
        raise KeyFileError(f"key file {path} is not a hex-encoded key") from None
    return SecretKey(material)


def load_or_create_key(path: Path) -> SecretKey:
    """The key at `path`, creating it on first run."""
    if not path.exists():
        create_key_file(path)
    return read_key_file(path)
