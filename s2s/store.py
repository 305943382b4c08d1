"""Saved runs: a folder of ``.npz`` files, one per run (and one for its uploaded data), found by token.

A run's token is a random URL-safe string of TOKEN_BYTES bytes (192 bits): whoever holds it may load
the run, nobody can guess it. Files are named by a hash of the token, never by the token: a name
cannot reach outside the folder, and a listing of the folder gives no token away. Each file holds
named arrays and one JSON array of metadata (``__meta__``, as checkpoints do), never pickle; it is
written to a temporary file in the same folder and renamed over the old one, so a save cut short
(a killed server, a full disk) leaves the previous save whole.

The folder stays bounded: a run larger than ``run_limit`` is not saved, runs not saved for ``ttl``
seconds expire, and when all runs together pass ``quota`` the ones saved longest ago go first.
Every problem is a ``StoreError`` whose ``kind`` names it for the app (see KINDS).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import secrets
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

FORMAT = "s2s-run"
VERSION = 1
META_KEY = "__meta__"
TOKEN_BYTES = 24
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{32}")  # what secrets.token_urlsafe(24) gives
PARTS = ("run", "data", "owner")  # a run's state, the uploaded data it trains on (written once), who trains it
TEMP_AGE = 60.0  # seconds after which a temporary file is left over from a save cut short
TIDY_EVERY = 30.0  # seconds between folder scans while the runs fit the quota (RunStore.save)
LOW_WATER = 0.9  # over the quota, the oldest runs go until the rest take this share of it (RunStore.tidy)
KINDS = ("malformed", "unknown", "expired", "corrupt", "old_format", "too_large", "unwritable")


class StoreError(Exception):
    """Why a run cannot be saved or loaded; ``kind`` is one of KINDS."""

    def __init__(self, message: str, kind: str, **params):
        super().__init__(message)
        self.kind, self.params = kind, params  # params: the figures of the message, for the app's own words


@dataclass
class Saved:
    """A loaded part of a run: its metadata, its arrays, and when it was saved (seconds since the epoch)."""

    meta: dict
    arrays: dict[str, np.ndarray]
    saved_at: float


def write_atomically(path: Path, write: Callable[[BinaryIO], None], mode: int | None = None) -> None:
    """Write a file through a temporary one in the same folder (hidden: a leading '.') and one rename over
    `path`: a reader finds the old file or the new one, whole; a process killed meanwhile leaves the old one.
    `mode`: the file's permissions (a temporary file is private). OSError if it cannot be written."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if mode is not None:
            os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def store_from_environment(env=os.environ) -> RunStore:
    """The store the app uses: S2S_STATE_DIR (default: the user's cache folder, seq2seq-classroom/runs),
    S2S_STATE_QUOTA_MB (all runs together, default 2048), S2S_RUN_LIMIT_MB (one run, default 100) and
    S2S_STATE_TTL_HOURS (default 24). ValueError, naming the variable, for a value that is not a positive
    number."""
    cache = env.get("XDG_CACHE_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".cache")
    root = env.get("S2S_STATE_DIR") or os.path.join(cache, "seq2seq-classroom", "runs")

    def number(name: str, default: float) -> float:
        raw = env.get(name, "")
        try:
            value = float(raw) if raw.strip() else default
        except ValueError:
            value = -1
        if not value > 0 or value == float("inf"):
            raise ValueError(f"{name}={raw!r}: a positive number is needed")
        return value

    return RunStore(root, int(number("S2S_STATE_QUOTA_MB", 2048) * 2**20), int(number("S2S_RUN_LIMIT_MB", 100) * 2**20),
                    number("S2S_STATE_TTL_HOURS", 24) * 3600)


def new_token() -> str:
    """A fresh run token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def check_token(token: object) -> str:
    """The token, or StoreError("malformed") if it is not one this module could have made."""
    if not isinstance(token, str) or not TOKEN_PATTERN.fullmatch(token):
        raise StoreError("the run's address is not one this app makes (32 letters, digits, '-' or '_')",
                         "malformed")
    return token


class RunStore:
    """The saved runs in one folder (created if missing). `quota` and `run_limit` in bytes, `ttl` in
    seconds; `clock` gives the time (tests pass their own)."""

    def __init__(self, root: str | Path, quota: int, run_limit: int, ttl: float, clock=time.time):
        self.root, self.quota, self.run_limit, self.ttl, self.clock = Path(root), quota, run_limit, ttl, clock
        self._tidied_at = -math.inf
        self._total = 0  # bytes in the folder: counted at the last tidy(), plus what this store's saves added

    def check_writable(self) -> None:
        """StoreError("unwritable") unless runs can be saved here (the folder is made if missing)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".probe-"):
                pass
        except OSError as e:
            raise StoreError(f"runs cannot be saved in {self.root}: {e.strerror or e}", "unwritable") from None

    def path(self, token: str, part: str = "run") -> Path:
        """The file of a part of a run (the name is a hash of the token)."""
        if part not in PARTS:
            raise ValueError(f"unknown part {part!r}")
        digest = hashlib.sha256(check_token(token).encode("ascii")).hexdigest()[:40]
        return self.root / f"{digest}.{part}.{'txt' if part == 'owner' else 'npz'}"

    def has(self, token: str, part: str) -> bool:
        """Whether a part of a run is saved."""
        return self.path(token, part).exists()

    def save(self, token: str, meta: dict, arrays: dict[str, np.ndarray], part: str = "run") -> int:
        """Write a part of a run atomically; returns its size in bytes. StoreError("too_large") if the
        run would pass run_limit (nothing is written), StoreError("unwritable") if the folder cannot take
        it (the previous save stays). Then the folder is tidied (expired runs removed, the oldest while over
        the quota) when this save takes it past the quota, and otherwise at most every TIDY_EVERY seconds
        (for expiry, and for the saves of other servers sharing the folder). Scanning the folder at each of a
        class's saves cost the server two fifths of its CPU with 100 runs and a full folder (benchmarks/README.md).
        """
        path = self.path(token, part)
        before = self._size(path)
        payload = dict(arrays)
        meta = {**meta, "format": FORMAT, "version": VERSION, "saved_at": self.clock()}
        payload[META_KEY] = np.frombuffer(json.dumps(meta,
                                                     ensure_ascii=False).encode("utf-8"), np.uint8)
        size = sum(a.nbytes for a in payload.values())
        others = sum(self._size(self.path(token, p)) for p in ("run", "data") if p != part)
        if size + others > self.run_limit:
            mb, limit = (size + others) / 2**20, self.run_limit / 2**20
            raise StoreError(f"the run takes {mb:.3g} MB, more than the {limit:.3g} MB a run may take", "too_large",
                             mb=mb, limit=limit)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            write_atomically(path, lambda f: np.savez(f, **payload))
        except OSError as e:
            raise StoreError(f"the run could not be saved in {self.root}: {e.strerror or e}", "unwritable") from None
        written = path.stat().st_size
        self._total += written - before
        if self._total > self.quota or self.clock() - self._tidied_at >= TIDY_EVERY:
            self.tidy(keep=token)
        return written

    def load(self, token: str, part: str = "run") -> Saved:
        """A saved part of a run. StoreError: malformed token, unknown (never saved, or removed), expired
        (removed now), corrupt (truncated, damaged, not ours), old_format (another version)."""
        path = self.path(token, part)
        try:
            saved_at = path.stat().st_mtime
            if self.clock() - saved_at > self.ttl:
                self.delete(token)
                raise StoreError(f"the run was last saved {(self.clock() - saved_at) / 3600:.0f} h ago; runs are "
                                 f"kept for {self.ttl / 3600:g} h", "expired")
            data = path.read_bytes()
        except FileNotFoundError:
            raise StoreError("no run is saved at this address (it may have been removed to make room)",
                             "unknown") from None
        except OSError as e:
            raise StoreError(f"the saved run cannot be read: {e.strerror or e}", "corrupt") from None
        arrays = _read_npz(data)
        meta = _read_meta(arrays.pop(META_KEY, None))
        return Saved(meta, arrays, float(meta.get("saved_at", saved_at)))

    def claim(self, token: str, owner: str) -> None:
        """Say who trains the run now (a server and session, for example): an owner that finds another name
        here (owner()) has been taken over, elsewhere, and stops. StoreError("unwritable") if it cannot be said."""
        path = self.path(token, "owner")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            write_atomically(path, lambda f: f.write(owner.encode("utf-8")))
        except OSError as e:
            raise StoreError(f"the run could not be claimed in {self.root}: {e.strerror or e}", "unwritable") from None

    def owner(self, token: str) -> str | None:
        """The last claim() of a run (None: none, or it cannot be read)."""
        try:
            return self.path(token, "owner").read_text()[:200]
        except (OSError, UnicodeDecodeError):
            return None

    def delete(self, token: str) -> None:
        """Remove every part of a run."""
        for part in PARTS:
            self.path(token, part).unlink(missing_ok=True)

    def tidy(self, keep: str | None = None) -> list[str]:
        """Remove left-over temporary files, expired runs, and while all runs pass the quota the ones saved
        longest ago (never the run `keep`) until the rest take LOW_WATER of it: a full folder is then scanned
        once per tenth of the quota saved, not at every save. Returns the removed runs' file stems."""
        now, removed = self.clock(), []
        self._tidied_at = now
        runs: dict[str, list[tuple[str, os.stat_result]]] = {}
        try:
            entries = list(os.scandir(self.root))
        except OSError:
            return removed
        for entry in entries:
            try:
                st = entry.stat()
            except OSError:
                continue
            if entry.name.endswith(".tmp"):
                if now - st.st_mtime > TEMP_AGE:
                    Path(entry.path).unlink(missing_ok=True)
            elif entry.name.endswith((".npz", ".txt")):
                runs.setdefault(entry.name.split(".")[0], []).append((entry.path, st))
        kept = None if keep is None else self.path(keep).name.split(".")[0]
        saved = {stem: max(st.st_mtime for _, st in files) for stem, files in runs.items()}
        total = sum(st.st_size for files in runs.values() for _, st in files)
        over = total > self.quota
        for stem in sorted(runs, key=saved.get):  # oldest first
            if stem == kept or (now - saved[stem] <= self.ttl and not (over and total > LOW_WATER * self.quota)):
                continue
            for file, st in runs[stem]:
                Path(file).unlink(missing_ok=True)
                total -= st.st_size
            removed.append(stem)
        self._total = total
        return removed

    def usage(self) -> int:
        """Bytes taken by all saved runs."""
        try:
            return sum(e.stat().st_size for e in os.scandir(self.root) if e.name.endswith(".npz"))
        except OSError:
            return 0

    @staticmethod
    def _size(path: Path) -> int:
        try:
            return path.stat().st_size
        except OSError:
            return 0


def _read_npz(data: bytes) -> dict[str, np.ndarray]:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            return {name: z[name] for name in z.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as e:
        raise StoreError(f"the saved run is damaged or truncated ({type(e).__name__}: {e})", "corrupt") from None


def _read_meta(raw: np.ndarray | None) -> dict:
    if raw is None or raw.dtype != np.uint8 or raw.ndim != 1:
        raise StoreError("the saved run has no metadata", "corrupt")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise StoreError(f"the saved run's metadata is damaged ({e})", "corrupt") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise StoreError("the file is not a saved run of this app", "corrupt")
    if meta.get("version") != VERSION:
        raise StoreError(f"the run was saved by another version of the app (format {meta.get('version')!r}, this "
                         f"app reads {VERSION})", "old_format")
    return meta
