"""public_url: where the slips' QR codes lead, checked, explained, and set in a centre file.

Without `public_url` a slip's QR code links to the address the server listens on (for
0.0.0.0, the machine's primary IPv4): a phone opens it only inside the centre's network.
`motcua config public-url` explains this, and sets the value in the `[server]` table of a
centre file (`--offer`: asks once when stdin is a terminal; never waits otherwise), which is
how `scripts/setup.sh --config FILE` offers it.
"""

from __future__ import annotations

import json
import re
import tomllib

URL_RE = re.compile(
    r"^https?://([a-z0-9.-]+|\[[0-9a-f:.]+\])(:[0-9]{1,5})?(/[^\s?#]*)?$", re.IGNORECASE
)
SERVER_HEADER = re.compile(r"^\[server\]\s*(#.*)?$")
KEY_LINE = re.compile(r"^\s*public_url\s*=")


def check(url: str) -> str:
    """The URL, stripped, when it can be the base of status links; ValueError otherwise."""
    cleaned = url.strip()
    if not URL_RE.match(cleaned):
        raise ValueError(f"{url!r} is not an http:// or https:// URL like https://HOST[:PORT]/")
    return cleaned


def set_in_toml(text: str, url: str) -> str:
    """The centre file's text with `public_url = "URL"` in its [server] table (replaced if
    there, else added; a [server] table is added before the first table when there is none).
    Comments and everything else stay as they were."""
    line = f"public_url = {json.dumps(url)}"
    lines = text.splitlines(keepends=True)
    header = next((i for i, x in enumerate(lines) if SERVER_HEADER.match(x.strip())), None)
    if header is None:
        first = next((i for i, x in enumerate(lines) if x.lstrip().startswith("[")), len(lines))
        lines[first:first] = ["[server]\n", f"{line}\n", "\n"]
    else:
        end = next(
            (i for i in range(header + 1, len(lines)) if lines[i].lstrip().startswith("[")),
            len(lines),
        )
        at = next((i for i in range(header + 1, end) if KEY_LINE.match(lines[i])), None)
        if at is None:
            lines.insert(header + 1, f"{line}\n")
        else:
            lines[at] = f"{line}\n"
    out = "".join(lines)
    if tomllib.loads(out).get("server", {}).get("public_url") != url:  # pragma: no cover
        raise ValueError("could not set public_url in the [server] table")
    return out
