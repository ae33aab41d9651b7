"""`motcua voice build`, run for real in subprocesses with espeak-ng (mandatory under CI=true)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from audio.engines import ClipPackEngine, EspeakEngine, clip_name, normalise_text
from audio.numbers import announcement_text
from queue_server.config import load_config
from queue_server.voice import Voice
from tests.conftest import centre_text, motcua, require_service


@pytest.fixture(autouse=True)
def espeak() -> None:
    if not EspeakEngine("vi").available():
        require_service("espeak-ng", "binary not found (apt-get install espeak-ng)")


def manifest(data_dir: Path) -> dict[str, Any]:
    return json.loads((data_dir / "voice" / "pack" / "manifest.json").read_text("utf-8"))  # type: ignore[no-any-return]


def test_build_covers_every_number_of_the_demo_centre(tmp_path: Path) -> None:
    data = tmp_path / "data"
    out = motcua("voice", "build", "--data-dir", str(data), cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    # A progress bar redrawn in place (text mode turns its "\r" into newlines), then the verdict.
    bars = [line for line in out.stdout.splitlines() if line.startswith("  [")]
    assert len(bars) > 10
    assert "every number" in out.stdout
    assert "missing" not in out.stdout

    config = load_config(None, overrides={"data_dir": str(data)})
    wanted = {normalise_text(w) for w in Voice(config.sites, data).words()}
    made = manifest(data)
    assert set(made["words"]) == wanted
    assert made["missing"] == []
    assert made["engine"] == "espeak-ng"
    pack = data / "voice" / "pack"
    assert {p.stem for p in pack.glob("*.wav")} == {clip_name(w) for w in wanted}
    assert f"[{'█' * 30}] {len(wanted)}/{len(wanted)} " in bars[-1]
    assert bars[0].startswith(f"  [{'·' * 30}] 1/{len(wanted)} ")
    # Words, not numbers: a few dozen clips say every call the centre can make.
    assert len(wanted) < 80

    # Every number of every service, at every counter, is said from the pack alone.
    clips = ClipPackEngine(pack)
    site = config.default_site
    for service in site.services:
        fmt = service.number_format
        for n in range(fmt.start, fmt.end + 1):
            number = f"{fmt.prefix}{n:0{fmt.digits}d}"
            counter = site.counters[n % len(site.counters)].number
            text = announcement_text(number, counter, site.announce_template)
            assert clips.missing(text) == [], text


def test_a_second_build_keeps_the_clips(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert motcua("voice", "build", "--data-dir", str(data), cwd=tmp_path).returncode == 0
    again = motcua("voice", "build", "--data-dir", str(data), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "made 0," in again.stdout
    forced = motcua("voice", "build", "--force", "--data-dir", str(data), cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert "kept 0," in forced.stdout


FAKE_ESPEAK = """#!/bin/sh
# espeak-ng that cannot say one word, to see the build report it.
input=$(cat)
case "$input" in *xyzzy*) echo "cannot say that" >&2; exit 1;; esac
printf '%s' "$input" | exec {real} "$@"
"""


def test_a_word_no_engine_can_say_is_reported_and_fails_the_build(tmp_path: Path) -> None:
    real = shutil.which("espeak-ng")
    assert real
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "espeak-ng"
    fake.write_text(FAKE_ESPEAK.replace("{real}", real), "utf-8")
    fake.chmod(0o755)
    centre = tmp_path / "centre.toml"
    template = 'announce_template = "Xin mời số {number} đến quầy {counter} xyzzy"\n'
    centre.write_text(
        centre_text().replace('hours = "always"\n', f'hours = "always"\n{template}', 1), "utf-8"
    )
    data = tmp_path / "data"
    out = motcua(
        "voice", "build", "--config", str(centre), "--data-dir", str(data), cwd=tmp_path,
        env={"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
    )  # fmt: skip
    assert out.returncode == 1, out.stdout + out.stderr
    assert "missing 1: xyzzy" in out.stdout
    assert "every number" not in out.stdout
    made = manifest(data)
    assert made["missing"] == ["xyzzy"]
    assert "đến quầy" in made["words"]


def test_bad_centre_is_a_configuration_error(tmp_path: Path) -> None:
    centre = tmp_path / "centre.toml"
    centre.write_text(
        centre_text().replace('hours = "always"\n', 'hours = "always"\nreading_odd = "x"\n', 1),
        "utf-8",
    )
    out = motcua(
        "voice", "build", "--config", str(centre), "--data-dir", str(tmp_path), cwd=tmp_path
    )
    assert out.returncode == 2
    assert "sites[0].reading_odd" in out.stderr
