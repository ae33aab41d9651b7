"""public_url (issue 11, item 17): where the slips' QR codes lead, said plainly by
`motcua run` and `motcua config public-url`, offered during setup without ever blocking a
script (asked once on a terminal: a real pseudo-terminal here), written into a centre file."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from queue_server.config import ConfigError, parse_config
from queue_server.public_url import check, set_in_toml
from tests.conftest import ROOT, ServerProcess, centre_text, motcua

URL = "https://hcc.example.gov.vn/"


def public_url_of(text: str) -> str | None:
    return tomllib.loads(text).get("server", {}).get("public_url")  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "text",
    [
        centre_text(),  # no [server] table
        "# the centre\n[server]\nport = 5001\n" + centre_text(),
        '[server]\n# where QR codes lead\npublic_url = "http://old.example/"  # old\n'
        + centre_text(),
    ],
)
def test_set_in_toml_keeps_the_file(text: str) -> None:
    out = set_in_toml(text, URL)
    assert public_url_of(out) == URL
    assert parse_config(out, "c.toml", environ={}).server.public_url == URL

    def kept(t: str) -> list[str]:
        return [
            x for x in t.splitlines() if x.strip() not in ("", "[server]") and "public_url" not in x
        ]

    assert kept(out) == kept(text)  # every other line, comments too, as it was
    assert out.count("[server]") == 1


@pytest.mark.parametrize("bad", ["10.0.0.2:5000", "ftp://x/", "https://", "http://a b/", "x"])
def test_a_bad_public_url_is_refused_with_the_key_named(bad: str) -> None:
    with pytest.raises(ValueError):
        check(bad)
    with pytest.raises(ConfigError) as err:
        parse_config(centre_text(), "c.toml", environ={"MOTCUA_PUBLIC_URL": bad})
    assert "server.public_url" in str(err.value)


def run(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The CLI with stdin that is not a terminal (as in CI); it must not wait for input."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    return subprocess.run(
        [sys.executable, "-m", "queue_server.cli", *args], cwd=cwd, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=60, env={**clean, **(env or {})},
    )  # fmt: skip


def test_offer_without_a_terminal_only_says_how(tmp_path: Path) -> None:
    centre = tmp_path / "centre.toml"
    centre.write_text(centre_text(), "utf-8")
    out = run(["config", "public-url", "--offer", "--config", str(centre)], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "mã QR dẫn tới http://127.0.0.1:5000/t/<id>, không điện thoại nào mở được" in out.stdout
    assert "motcua config public-url URL --config" in out.stdout
    assert centre.read_text("utf-8") == centre_text()  # nothing written, nothing asked


def answer_on_a_terminal(args: list[str], cwd: Path, answer: str) -> tuple[int, str]:
    """Run the CLI with a pseudo-terminal as stdin and stdout; type `answer` at the prompt."""
    master, slave = pty.openpty()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "queue_server.cli", *args], cwd=cwd, stdin=slave, stdout=slave,
        stderr=slave, env={**clean, "PYTHONIOENCODING": "utf-8"}, close_fds=True,
    )  # fmt: skip
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 60
    answered = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        if not answered and b"Enter to skip: " in seen:
            os.write(master, answer.encode() + b"\n")
            answered = True
        if proc.poll() is not None and not ready:
            break
    code = proc.wait(30)
    os.close(master)
    assert answered, f"no prompt: {seen.decode(errors='replace')}"
    return code, seen.decode("utf-8", errors="replace")


def test_offer_on_a_terminal_asks_once_and_writes_the_file(tmp_path: Path) -> None:
    centre = tmp_path / "centre.toml"
    centre.write_text(centre_text(), "utf-8")
    args = ["config", "public-url", "--offer", "--config", str(centre)]
    code, said = answer_on_a_terminal(args, tmp_path, URL)
    assert code == 0, said
    assert "public_url, ví dụ" in said.split("Enter to skip")[0]  # Vietnamese first
    assert public_url_of(centre.read_text("utf-8")) == URL
    # Set: offering again asks nothing and says where QR codes lead now.
    out = run(args, tmp_path)
    assert out.returncode == 0 and f"mã QR dẫn tới {URL}t/<id>" in out.stdout


def test_offer_on_a_terminal_can_be_skipped(tmp_path: Path) -> None:
    centre = tmp_path / "centre.toml"
    centre.write_text(centre_text(), "utf-8")
    code, said = answer_on_a_terminal(
        ["config", "public-url", "--offer", "--config", str(centre)], tmp_path, ""
    )
    assert code == 0 and "Bỏ qua" in said
    assert centre.read_text("utf-8") == centre_text()


def test_set_it_with_the_command(tmp_path: Path) -> None:
    centre = tmp_path / "centre.toml"
    centre.write_text(centre_text(), "utf-8")
    out = motcua("config", "public-url", URL, "--config", str(centre), cwd=tmp_path)
    assert out.returncode == 0 and "Đã ghi public_url" in out.stdout
    assert public_url_of(centre.read_text("utf-8")) == URL
    bad = motcua("config", "public-url", "10.0.0.2:5000", "--config", str(centre), cwd=tmp_path)
    assert bad.returncode == 2 and "không hợp lệ" in bad.stdout
    assert public_url_of(centre.read_text("utf-8")) == URL  # unchanged
    demo = motcua("config", "public-url", URL, cwd=tmp_path)  # the demo has no file
    assert demo.returncode == 0 and f"MOTCUA_PUBLIC_URL={URL}" in demo.stdout


def test_setup_offers_it_for_a_centre_file() -> None:
    script = (ROOT / "scripts" / "setup.sh").read_text("utf-8")
    assert 'motcua config public-url --offer --config "$centre"' in script
    bad = subprocess.run(["bash", str(ROOT / "scripts" / "setup.sh"), "--config", "/nope.toml"],
                         capture_output=True, text=True, timeout=30)  # fmt: skip
    assert bad.returncode == 2 and "no centre file" in bad.stderr


def started_log(server: ServerProcess) -> str:
    server.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        log = server.log.read_text("utf-8")
        if "/t/<id>" in log:
            return log
        time.sleep(0.1)
    return server.log.read_text("utf-8")


def test_run_prints_where_the_qr_codes_lead(server_factory: Callable[..., ServerProcess]) -> None:
    quiet = {"MOTCUA_VOICE": "0"}
    log = started_log(server_factory(env={**quiet, "MOTCUA_PUBLIC_URL": URL}))
    assert (
        f"Trang trạng thái phiếu (mã QR trên phiếu) / ticket status page (QR codes on slips): "
        f"{URL.rstrip('/')}/t/<id>"
    ) in log
    assert "Chưa đặt public_url" not in log


def test_run_without_public_url_prints_the_listening_address(
    server_factory: Callable[..., ServerProcess],
) -> None:
    server = server_factory(env={"MOTCUA_VOICE": "0"})
    log = started_log(server)
    assert f"ticket status page (QR codes on slips): {server.url}/t/<id>" in log
    assert "Chưa đặt public_url" in log
