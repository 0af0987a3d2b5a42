"""Which language a conversation is in, with an offline detector (py3langid: small, bundled model, no downloads).

Signals built on English lexicons are not guessed for other languages: the report names the language found and the
skills that depend on English are not scored.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import lzma
import os
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transcript_coach.cache import cache_dir
from transcript_coach.data import load_json
from transcript_coach.errors import DataFileError
from transcript_coach.model import Transcript

_SAMPLE_CHARS = 4000


@dataclass(frozen=True, slots=True)
class Language:
    code: str  # ISO 639-1, or "und" when there is too little text to tell
    confidence: float
    method: str = "langid"  # how it was told: "langid", "english-words" (the common-word check) or "too-short"

    @property
    def english(self) -> bool:
        """Whether the English lexicons apply: English, or too little text to say otherwise."""
        return self.code in ("en", "und")

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "confidence": round(self.confidence, 3), "method": self.method}


_loading = threading.Lock()  # one thread loads the model; any other that needs it meanwhile waits
_background: threading.Thread | None = None
_DECOMPRESS_STEP = 1 << 25  # bytes out per step: the GIL is taken back between steps and as a step's output grows


@functools.cache
def _load():
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    try:
        arrays = _model_arrays(MODEL_DIR / MODEL_FILE, cache_dir())
        return LanguageIdentifier(arrays["ptc"], arrays["pc"], arrays["classes"].tolist(),
                                  memoryview(arrays["nextmove"]), arrays["out_feat"].tolist(), norm_probs=True,
                                  tk_row=memoryview(arrays["nextmove_row"]))  # read an element at a time: no numpy
    except (OSError, LookupError, ValueError, TypeError, lzma.LZMAError):  # a model laid out otherwise
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


_ARRAYS = ("ptc", "pc", "classes", "nextmove", "out_feat", "nextmove_row")  # what the identifier is made of
_UNPACKED_NAME = re.compile(r"langid-[0-9a-f]{20}")


def _model_arrays(path: Path, cache: Path | None) -> dict[str, Any]:
    """The arrays of py3langid's model at ``path``: read from their unpacked copy in the ``cache`` folder when it
    has one (a few hundredths of a second), else unpacked from ``path`` (``_unpack``, about 0.4 s) and copied there
    for next time. The copy is named by a digest of the packed model, so another version of py3langid makes another
    copy (and the old one is removed). The arrays are read whole rather than mapped: mapped, the memory a process
    holds would grow with the variety of the texts it identifies, up to the whole model."""
    packed = path.read_bytes()
    if cache is None:
        return _unpack(packed, path)
    folder = cache / f"langid-{hashlib.blake2b(packed, digest_size=10).hexdigest()}"
    with contextlib.suppress(OSError, ValueError, EOFError):  # no copy yet, or a damaged one
        return _open_unpacked(folder)
    arrays = _unpack(packed, path)
    with contextlib.suppress(OSError):
        _save_unpacked(arrays, folder)
    return arrays


def _unpack(packed: bytes, path: Path) -> dict[str, Any]:
    """py3langid's model (arrays in an npz archive, compressed with xz), decompressed in steps of many megabytes:
    each step releases the GIL throughout, so the decompression runs on another core beside this process's Python
    work. (py3langid's own loader decompresses 8 KB of input at a time and, between steps, waits for the GIL while
    another thread runs.) The archive goes through a temporary file, as there: memory holds one step of it at most."""
    import numpy as np

    with tempfile.TemporaryFile() as archive:
        decompressor = lzma.LZMADecompressor()
        while not decompressor.eof:
            step = decompressor.decompress(packed, max_length=_DECOMPRESS_STEP)
            if not step and decompressor.needs_input:
                raise lzma.LZMAError(f"{path}: the compressed data ends early")
            archive.write(step)
            packed = b""
        archive.seek(0)
        with np.load(archive, allow_pickle=False) as model:
            return {name: model[name] for name in _ARRAYS}


def _open_unpacked(folder: Path) -> dict[str, Any]:
    import numpy as np

    return {name: np.load(folder / f"{name}.npy", allow_pickle=False) for name in _ARRAYS}


def _save_unpacked(arrays: dict[str, Any], folder: Path) -> None:
    """Each array into ``folder`` as an .npy file, written under a temporary name and then renamed: a file there is
    whole or absent, whatever else runs at the same time. Temporary files a killed process left there, and copies of
    other versions of the model, are removed."""
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    for left in folder.glob(".*.tmp"):  # another process writing now only misses leaving its copy
        left.unlink(missing_ok=True)
    for name, values in arrays.items():
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{name}-", suffix=".tmp", delete=False) as out:
            try:
                np.save(out, values, allow_pickle=False)
                out.close()
                os.replace(out.name, folder / f"{name}.npy")
            except BaseException:
                out.close()  # an open file cannot be removed on Windows
                os.unlink(out.name)
                raise
    for other in folder.parent.glob("langid-*"):
        if other != folder and _is_unpacked_model(other):
            shutil.rmtree(other, ignore_errors=True)


def _is_unpacked_model(folder: Path) -> bool:
    """A folder as ``_save_unpacked`` makes them: named by a digest, holding only arrays of the model."""
    if not _UNPACKED_NAME.fullmatch(folder.name) or not folder.is_dir():
        return False
    expected = {f"{name}.npy" for name in _ARRAYS}
    return all(p.name in expected or p.name.endswith(".tmp") for p in folder.iterdir())


def _identifier():
    """py3langid's identifier, loaded once per process by whichever thread asks first."""
    with _loading:
        return _load()


def load_identifier() -> None:
    """Load py3langid's model now rather than when a conversation first needs it (a few hundredths of a second from
    the cache folder, about 0.4 s the first time or without one): worker processes forked afterwards share this copy
    instead of each loading its own."""
    _identifier()


def load_identifier_in_background() -> None:
    """Start loading py3langid's model in a thread of its own. Unpacking it (when the cache folder has no copy) is
    nearly all LZMA decompression, which runs on another core beside Python work (building the pipeline, say);
    whatever needs the model later waits for the thread if it is not done. A model that fails to load fails again,
    with its error, where it is needed."""
    global _background
    with _loading:
        if _background is not None or _load.cache_info().currsize:
            return
        thread = threading.Thread(target=_load_quietly, name="language-model", daemon=True)
        try:
            thread.start()
        except RuntimeError:  # no thread to be had (short of memory): the model is loaded where it is first needed
            return
        _background = thread


def _load_quietly() -> None:
    with contextlib.suppress(Exception):
        _identifier()


def _finish_loading() -> None:
    """Wait for the background load: a process forked while it runs would hold the lock of a thread it lacks."""
    if _background is not None:
        _background.join()


def _finish_saving() -> None:
    """At exit, wait for a background load that may be leaving the model in the cache folder: a daemon thread is
    stopped wherever it is when the interpreter exits, and a run shorter than the unpacking (one file scored, say)
    would never leave a copy there, each unpacking it again. With a copy there the load is done long before exit."""
    if cache_dir() is not None:
        _finish_loading()


if hasattr(os, "register_at_fork"):  # not on Windows, where nothing forks
    os.register_at_fork(before=_finish_loading)
atexit.register(_finish_saving)


def detect_language(transcript: Transcript) -> Language:
    """The conversation's language, from what its agents, customers and bots wrote (internal notes aside).

    Mostly common English words ("the", "you", "please", ...: ``english_words`` in data/signals.json) is English at
    once; any other text goes to py3langid, whose answer is kept when it is sure enough."""
    settings = _settings()
    text = " ".join(t.text for t in transcript.turns if not t.internal and t.role in ("agent", "customer", "bot"))
    text = text[:_SAMPLE_CHARS]
    words = text.lower().split()
    if len(words) < settings.min_words:
        return Language("und", 0.0, "too-short")
    share = sum(w.strip(_PUNCTUATION).replace("’", "'") in settings.english_words for w in words) / len(words)
    if share >= settings.english_share:
        return Language("en", share, "english-words")
    code, confidence = _identifier().classify(text)
    if code != "en" and confidence < settings.min_confidence:
        return Language("und", float(confidence))
    return Language(code, float(confidence))


_PUNCTUATION = ".,!?;:\"'()[]{}<>*-’“”"


@dataclass(frozen=True, slots=True)
class _Settings:
    min_words: int
    min_confidence: float
    english_share: float
    english_words: frozenset[str]


@functools.cache
def _settings() -> _Settings:
    document = load_json("signals.json")["language"]
    try:
        words = document["english_words"]
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise TypeError("english_words must be a list of words")
        return _Settings(int(document["min_words"]), float(document["min_confidence"]),
                         float(document["english_share"]),
                         frozenset(w.strip().lower().replace("’", "'") for w in words))
    except (KeyError, TypeError, ValueError) as exc:
        raise DataFileError(f"signals.json: language: {exc}; expected min_words, min_confidence, english_share "
                            "and a list english_words") from None
