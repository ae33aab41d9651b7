"""Clip packs: the words a centre needs to say every number it issues, rendered once.

A pack is a folder of `<word or phrase>.wav` clips in the common format plus a
`manifest.json`. Numbers are covered through their words (một, mươi, linh, trăm...),
never one file per number, so a pack for A001-A999 and 1001-1999 has a few dozen clips.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from audio import wav
from audio.engines import (
    ChainEngine,
    EspeakEngine,
    SpeechEngine,
    clip_name,
    normalise_text,
    segments,
    write_atomic,
)
from audio.numbers import (
    DEFAULT_TEMPLATE,
    DIGITS,
    MODES,
    read_number,
    read_ticket_number,
    spell_letters,
)

MANIFEST = "manifest.json"

# (prefix, start, end, digits): one ticket number format, as printed prefix + zero-padded number.
NumberFormat = tuple[str, int, int, int]
Progress = Callable[[int, int, str], None]


def _words(text: str) -> set[str]:
    """The words of a reading, tokenised exactly as ClipPackEngine will."""
    return {w for seg in segments(text) for w in seg}


def _digit_words(start: int, end: int, digits: int) -> set[str]:
    """Digit names used when the zero-padded codes start..end are read digit by digit."""
    if end - start >= 9:  # the last digit runs through all ten
        return set(DIGITS)
    return {DIGITS[int(ch)] for n in range(start, end + 1) for ch in f"{n:0{digits}d}"}


def _natural_samples(start: int, end: int) -> set[int]:
    """Numbers in start..end whose readings together use every word any number there uses.

    A reading is (thousands group) + "nghìn" + (last three digits, read in full), so it is
    enough to see each thousands group once and each last-three-digits value once.
    """
    picks = {max(start, u * 1000) for u in range(start // 1000, end // 1000 + 1)}
    picks.update(range(start, min(end, 999) + 1))
    low = max(start, 1000)
    if end - low >= 999:
        picks.update(low + (r - low) % 1000 for r in range(1000))
    elif low <= end:
        picks.update(range(low, end + 1))
    return picks


def number_words(fmt: NumberFormat, *, mode: str = "natural", **options: str) -> set[str]:
    """Every word needed to read every ticket number of one format."""
    prefix, start, end, digits = fmt
    words = _words(spell_letters(prefix)) if prefix else set()
    if mode == "digits":
        return words | _digit_words(start, end, digits)
    natural_from = start
    if not prefix and digits > 1:
        # Zero-led codes without a prefix ("007") are read digit by digit.
        zero_led_end = min(end, 10 ** (digits - 1) - 1)
        if start <= zero_led_end:
            words |= _digit_words(start, zero_led_end, digits)
        natural_from = max(start, zero_led_end + 1)
    for n in _natural_samples(natural_from, end) if natural_from <= end else ():
        words |= _words(read_ticket_number(f"{prefix}{n:0{digits}d}", mode=mode, **options))
    return words


def template_phrases(template: str) -> set[str]:
    """The fixed phrases of a template: "Xin mời ... {number} đến quầy số {counter}"."""
    literals = (lit for lit, _, _, _ in string.Formatter().parse(template))
    return {" ".join(seg) for lit in literals for seg in segments(lit) if seg}


def vocabulary(
    formats: Iterable[NumberFormat],
    counters: Iterable[int | str] = (),
    templates: Iterable[str] = (DEFAULT_TEMPLATE,),
    *,
    phrases: Iterable[str] = (),
    mode: str = "natural",
    odd: str = "linh",
    four: str = "tư",
    thousand: str = "nghìn",
) -> set[str]:
    """The words and phrases a clip pack needs to say every call a centre can make.

    `formats` are (prefix, start, end, digits); `counters` are counter numbers (read aloud)
    or names (said as written); `templates` give fixed phrases; `phrases` adds sentences
    such as the kiosk guidance, split at punctuation.
    """
    if mode not in MODES:
        raise ValueError(f"unknown reading mode {mode!r}; expected one of {MODES}")
    options = {"odd": odd, "four": four, "thousand": thousand}
    words: set[str] = set()
    for fmt in formats:
        words |= number_words(fmt, mode=mode, **options)
    for counter in counters:
        words |= _words(read_number(counter, **options) if isinstance(counter, int) else counter)
    for template in templates:
        words |= template_phrases(template)
    for sentence in phrases:
        words |= {" ".join(seg) for seg in segments(sentence)}
    return words


@dataclass
class BuildReport:
    """What build_pack did: clips made (or kept from an earlier build) and words it could not."""

    made: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    engine_used: str = ""
    kept: list[str] = field(default_factory=list)


def read_manifest(pack_dir: Path | str) -> dict[str, object]:
    """A pack's manifest, or {} when there is none."""
    try:
        data = json.loads((Path(pack_dir) / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _render(engine: SpeechEngine, word: str, lang: str, trim: bool) -> tuple[bytes, str] | None:
    """One clip in the common format, trimmed of leading/trailing silence, and its engine."""
    if isinstance(engine, ChainEngine):
        speech = engine.speak(word, lang)
        data, name = (speech.wav, speech.engine) if speech else (None, "")
    else:
        data, name = engine.synthesize(word, lang), engine.name
    if data is None:
        return None
    frames = wav.read_frames(data)
    if trim:
        # espeak-ng pads each utterance with silence; untrimmed, joins would drag.
        frames = wav.trim_frames(frames)
    return (wav.write_wav(frames), name) if frames else None


def build_pack(
    words: Iterable[str],
    pack_dir: Path | str,
    engine: SpeechEngine | None = None,
    progress: Progress | None = None,
    *,
    lang: str = "vi",
    trim: bool = True,
    force: bool = False,
) -> BuildReport:
    """Render each word with `engine` (espeak-ng by default) into `<pack_dir>/<word>.wav`.

    Clips from an earlier build with the same engine and voice are kept unless `force`;
    clips of words no longer needed are removed, so the folder is exactly the manifest.
    `progress(done, total, word)` is called after each word, for a progress bar.
    """
    engine = engine or EspeakEngine("vi")
    voice = str(getattr(engine, "voice", ""))
    folder = Path(pack_dir)
    folder.mkdir(parents=True, exist_ok=True)
    old = read_manifest(folder)
    reuse = not force and (old.get("engine"), old.get("voice")) == (engine.name, voice)
    todo = sorted({w for w in map(normalise_text, words) if w})
    report = BuildReport()
    used: dict[str, None] = {}
    for done, word in enumerate(todo, 1):
        path = folder / f"{clip_name(word)}.wav"
        if reuse and path.is_file():
            report.kept.append(word)
        elif (rendered := _render(engine, word, lang, trim)) is not None:
            write_atomic(path, rendered[0])
            report.made.append(word)
            used[rendered[1]] = None
        else:
            report.missing.append(word)
        if progress:
            progress(done, len(todo), word)
    wanted = {f"{clip_name(w)}.wav" for w in (*report.made, *report.kept)}
    for stale in folder.glob("*.wav"):
        if stale.name not in wanted:
            stale.unlink()
    name = ", ".join(used) if isinstance(engine, ChainEngine) and used else engine.name
    report.engine_used = f"{name}:{voice}" if voice else name
    manifest = {
        "format": {"rate": wav.RATE, "channels": wav.CHANNELS, "sample_width": wav.SAMPLE_WIDTH},
        "engine": engine.name,
        "voice": voice,
        "made_by": report.engine_used,
        "lang": lang,
        "words": sorted([*report.made, *report.kept]),
        "missing": report.missing,
    }
    write_atomic(folder / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2).encode())
    return report
