"""WAV helpers on the stdlib `wave` module: one common format, silence, a chime, joins, checks.

Everything here works on 16-bit signed little-endian PCM, mono, 22050 Hz: the format
espeak-ng writes, so its output needs no conversion. No audioop (removed in Python 3.13):
samples are scanned with `array`. Other formats are converted with sox when it is there.
"""

from __future__ import annotations

import functools
import io
import math
import shutil
import subprocess
import sys
import wave
from array import array
from collections.abc import Iterable

RATE = 22050
CHANNELS = 1
SAMPLE_WIDTH = 2
FULL_SCALE = 32767
FRAME_BYTES = CHANNELS * SAMPLE_WIDTH
SOX_TIMEOUT = 10.0


class AudioFormatError(ValueError):
    """Audio that is not a readable WAV, or needs a conversion that cannot be done here."""


@functools.cache
def sox_path() -> str | None:
    """The sox binary, or None when it is not installed."""
    return shutil.which("sox")


@functools.cache
def sox_formats() -> frozenset[str]:
    """File formats the installed sox can read and write (empty without sox)."""
    sox = sox_path()
    if sox is None:
        return frozenset()
    try:
        out = subprocess.run(
            [sox, "--help"], capture_output=True, text=True, timeout=SOX_TIMEOUT, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    for line in out.splitlines():
        if line.startswith("AUDIO FILE FORMATS:"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def sox_convert(data: bytes, file_type: str = "wav") -> bytes:
    """Convert audio of `file_type` ("wav", "mp3"...) to a WAV in the common format with sox."""
    sox = sox_path()
    if sox is None:
        raise AudioFormatError("this audio needs converting and sox is not installed")
    if file_type not in sox_formats():
        raise AudioFormatError(f"the installed sox cannot read {file_type!r} audio")
    cmd = [sox, "-q", "-t", file_type, "-", "-t", "wav", "-e", "signed-integer",
           "-b", str(8 * SAMPLE_WIDTH), "-c", str(CHANNELS), "-r", str(RATE), "-"]  # fmt: skip
    try:
        done = subprocess.run(cmd, input=data, capture_output=True, timeout=SOX_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise AudioFormatError(f"sox failed: {err}") from err
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise AudioFormatError(f"sox could not convert: {message}")
    return write_wav(_frames_as_is(done.stdout))


def _read(data: bytes) -> tuple[wave._wave_params, bytes]:
    """Parameters and frames of a WAV; tolerates a streamed header's bogus sizes."""
    try:
        with wave.open(io.BytesIO(data), "rb") as w:
            params = w.getparams()
            # espeak-ng --stdout writes 0x7FFFFFFF sizes; readframes stops at the real end.
            frames = w.readframes(params.nframes)
    except (wave.Error, EOFError) as err:
        raise AudioFormatError(f"not a readable WAV: {err}") from err
    frame_size = params.nchannels * params.sampwidth
    return params, frames[: len(frames) - len(frames) % frame_size]


def _frames_as_is(data: bytes) -> bytes:
    """Frames of a WAV already in the common format."""
    params, frames = _read(data)
    if (params.nchannels, params.sampwidth, params.framerate) != (CHANNELS, SAMPLE_WIDTH, RATE):
        raise AudioFormatError(f"expected mono 16-bit {RATE} Hz, got {describe(params)}")
    return frames


def describe(params: wave._wave_params) -> str:
    """A short human description of WAV parameters."""
    channels = {1: "mono", 2: "stereo"}.get(params.nchannels, f"{params.nchannels} channels")
    return f"{channels} {8 * params.sampwidth}-bit {params.framerate} Hz"


def read_frames(data: bytes) -> bytes:
    """PCM frames of a WAV in the common format, converting other formats with sox."""
    try:
        params, frames = _read(data)
    except AudioFormatError:
        # wave cannot open float or WAVE_FORMAT_EXTENSIBLE files (3.11); sox can.
        if sox_path() is None:
            raise
        return _frames_as_is(sox_convert(data))
    if (params.nchannels, params.sampwidth, params.framerate) == (CHANNELS, SAMPLE_WIDTH, RATE):
        return frames
    if sox_path() is None:
        raise AudioFormatError(
            f"{describe(params)} audio needs converting to mono 16-bit {RATE} Hz "
            "and sox is not installed"
        )
    return _frames_as_is(sox_convert(data))


def normalise(data: bytes) -> bytes:
    """A WAV in the common format (mono, 16-bit, 22050 Hz) with correct header sizes."""
    return write_wav(read_frames(data))


def write_wav(frames: bytes) -> bytes:
    """Wrap PCM frames of the common format in a WAV header."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(CHANNELS)
        w.setsampwidth(SAMPLE_WIDTH)
        w.setframerate(RATE)
        w.writeframes(frames)
    return out.getvalue()


def silence_frames(ms: float) -> bytes:
    """PCM frames of silence lasting `ms` milliseconds."""
    return bytes(FRAME_BYTES * max(0, round(RATE * ms / 1000)))


def silence(ms: float) -> bytes:
    """A WAV of silence lasting `ms` milliseconds."""
    return write_wav(silence_frames(ms))


def samples(frames: bytes) -> array[int]:
    """16-bit samples of PCM frames as signed integers."""
    values = array("h")
    values.frombytes(frames[: len(frames) - len(frames) % 2])
    if sys.byteorder == "big":
        values.byteswap()
    return values


def to_frames(values: array[int]) -> bytes:
    """PCM frames (little-endian) from 16-bit samples."""
    if sys.byteorder == "big":
        values = array("h", values)
        values.byteswap()
    return values.tobytes()


def _tone(freq: float, start: float, length: float, total: int, amp: float) -> list[float]:
    """A bell-like decaying tone (fundamental plus soft partials) placed in `total` samples."""
    out = [0.0] * total
    first = round(start * RATE)
    count = min(total - first, round(length * RATE))
    attack = round(0.01 * RATE)
    partials = ((1.0, 1.0), (2.0, 0.3), (3.0, 0.08))
    for i in range(count):
        t = i / RATE
        # A raised-cosine attack avoids a click; the exponential decay rings like a bell.
        rise = 0.5 - 0.5 * math.cos(math.pi * i / attack) if i < attack else 1.0
        env = rise * math.exp(-3.2 * t / length)
        wave_sum = sum(a * math.sin(2 * math.pi * freq * k * t) for k, a in partials)
        out[first + i] = amp * env * wave_sum
    # Fade the last 20 ms to zero so the tone never ends on a step.
    fade = min(count, round(0.02 * RATE))
    for i in range(fade):
        out[first + count - fade + i] *= 1 - (i + 1) / fade
    return out


CHIME_SECONDS = 0.9
"""Length of the chime before each call."""


@functools.cache
def chime_frames() -> bytes:
    """PCM frames of the two-tone "ding-dong" (E5 then C5, 0.9 s) peaking at 45 % of full scale.

    45 % puts its loudness (RMS) near espeak-ng's speech, so the chime does not startle.
    """
    total = round(CHIME_SECONDS * RATE)
    ding = _tone(659.25, 0.0, 0.9, total, 1.0)
    dong = _tone(523.25, 0.42, 0.48, total, 1.0)
    mixed = [a + b for a, b in zip(ding, dong, strict=True)]
    scale = 0.45 * FULL_SCALE / max(abs(v) for v in mixed)
    return to_frames(array("h", (round(v * scale) for v in mixed)))


def chime() -> bytes:
    """A WAV of the two-tone chime played before an announcement."""
    return write_wav(chime_frames())


def concat(parts: Iterable[bytes]) -> bytes:
    """Join WAVs (converted to the common format) into one WAV."""
    return write_wav(b"".join(read_frames(part) for part in parts))


def duration(data: bytes) -> float:
    """Length of a WAV in seconds, from its actual frames (not a streamed header's size)."""
    params, frames = _read(data)
    return len(frames) / (params.nchannels * params.sampwidth) / params.framerate


def peak(data: bytes) -> int:
    """The largest absolute sample value of a common-format WAV (32768 means clipped low)."""
    values = samples(_frames_as_is(data))
    return max((max(values), -min(values))) if values else 0


def is_clipped(data: bytes) -> bool:
    """True when a common-format WAV reaches full scale, the sign of clipping."""
    return peak(data) >= FULL_SCALE


def window_peaks(frames: bytes, window_ms: float = 50) -> list[int]:
    """The peak absolute sample of each `window_ms` window of PCM frames."""
    values = samples(frames)
    size = max(1, round(RATE * window_ms / 1000))
    peaks = []
    for i in range(0, len(values), size):
        chunk = values[i : i + size]
        peaks.append(max(max(chunk), -min(chunk)))
    return peaks


def longest_silence(data: bytes, *, threshold: int = 300, window_ms: float = 50) -> float:
    """Seconds of the longest run of windows whose peak stays under `threshold` (~-40 dBFS)."""
    longest = run = 0
    for p in window_peaks(_frames_as_is(data), window_ms):
        run = run + 1 if p < threshold else 0
        longest = max(longest, run)
    return longest * window_ms / 1000


def trim_frames(frames: bytes, *, threshold: int = 400, pad_ms: float = 10) -> bytes:
    """PCM frames without leading and trailing silence (samples under `threshold`), kept padded."""
    values = samples(frames)
    loud = [i for i, p in enumerate(window_peaks(frames, 5)) if p >= threshold]
    if not loud:
        return b""
    size = round(RATE * 0.005)
    pad = round(RATE * pad_ms / 1000)
    first = max(0, loud[0] * size - pad)
    last = min(len(values), (loud[-1] + 1) * size + pad)
    return fade_frames(to_frames(values[first:last]))


def fade_frames(frames: bytes, ms: float = 4) -> bytes:
    """PCM frames with a short linear fade in and out, so a cut never clicks."""
    values = samples(frames)
    n = min(len(values) // 2, round(RATE * ms / 1000))
    for i in range(n):
        gain = i / n
        values[i] = round(values[i] * gain)
        values[-1 - i] = round(values[-1 - i] * gain)
    return to_frames(values)
