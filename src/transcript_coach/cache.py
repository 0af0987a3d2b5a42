"""The folder where transcript-coach keeps what it derives from its dependencies' data so that it starts faster: today
py3langid's language model, unpacked (``language.py``). Nothing in it is needed; delete it at any time and it is made
again on the next run that needs it.

``TRANSCRIPT_COACH_CACHE_DIR`` names the folder, or turns the cache off with ``none``. Otherwise it is
``$XDG_CACHE_HOME/transcript-coach`` (``~/.cache/transcript-coach``), ``~/Library/Caches/transcript-coach`` on macOS
and ``%LOCALAPPDATA%\\transcript-coach\\cache`` on Windows. A folder that cannot be written is not an error: the
data is then derived again in each run.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

VARIABLE = "TRANSCRIPT_COACH_CACHE_DIR"
OFF = "none"


def cache_dir() -> Path | None:
    """The cache folder (perhaps not made yet), or None when the cache is off or no home folder is known."""
    value = os.environ.get(VARIABLE, "").strip()
    if value:
        return None if value.lower() == OFF else Path(value).expanduser()
    try:
        if sys.platform == "win32":
            base = os.environ.get("LOCALAPPDATA", "").strip()
            return Path(base) / "transcript-coach" / "cache" if base else None
        if sys.platform == "darwin":
            return Path.home() / "Library" / "Caches" / "transcript-coach"
        base = os.environ.get("XDG_CACHE_HOME", "").strip()
        return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "transcript-coach"
    except RuntimeError:  # no home folder to be found
        return None
