"""Public screens: the lobby TV and the counter-top display, plus their local assets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Protocol

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    send_from_directory,
)
from flask.typing import ResponseReturnValue

from queue_server.contract.messages import render

bp = Blueprint(
    "displays",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/displays",
)


class DemoDevices(Protocol):
    """The demo's simulated keypads and LED boards, as the app hands them to these pages
    (`demo_devices` of the app's extension; the keys they offer are its `demo_keys`)."""

    def press(self, counter: int, key: Any) -> str:
        """Press one of `demo_keys` on counter's keypad (LookupError: no such keypad)."""
        ...

    def state(self) -> dict[str, Any]:
        """What the boards show and whether the agent is connected."""
        ...


FONT_RE = re.compile(r"^BeVietnamPro-[A-Za-z]+\.ttf$")
VENDOR = {
    "socket.io.min.js": ("socket.io-client", "dist/socket.io.min.js"),
    "socket.io.min.js.map": ("socket.io-client", "dist/socket.io.min.js.map"),
}


def node_modules() -> Path:
    """Where `npm ci` put the front-end libraries (the repository root by default)."""
    configured = current_app.config.get("MOTCUA_NODE_MODULES")
    return Path(configured) if configured else Path(__file__).resolve().parents[1] / "node_modules"


def _lang() -> str:
    return "en" if request.args.get("lang") == "en" else "vi"


@bp.get("/display")
def lobby() -> ResponseReturnValue:
    """The lobby TV. ?counters=1,2&services=HT,CT choose a subset; ?lang=en; ?site=CODE."""
    desk = current_app.extensions["motcua"].desk
    site = desk.site(request.args.get("site"))
    return render_template("lobby.html", site=site, lang=_lang())


@bp.get("/display/counter/<int:number>")
def counter_display(number: int) -> ResponseReturnValue:
    """The display above one counter."""
    desk = current_app.extensions["motcua"].desk
    site = desk.site(request.args.get("site"))
    counter = desk.counter(site, number)
    return render_template("counter_display.html", site=site, counter=counter, lang=_lang())


@bp.get("/kiosk")
def kiosk() -> ResponseReturnValue:
    """The touch-screen kiosk (sign in once with the kiosk's device code, or ?token=)."""
    desk = current_app.extensions["motcua"].desk
    site = desk.site(request.args.get("site"))
    return render_template(
        "kiosk.html",
        site=site,
        lang=_lang(),
        idle_seconds=site.kiosk_idle_seconds,
        priority_step=site.kiosk_priority_step,
        priority_groups=site.priority_groups_in(_lang()),
        voice=site.kiosk_voice and current_app.extensions["motcua"].voice is not None,
    )


@bp.get("/t/<ticket_id>")
def ticket_status(ticket_id: str) -> ResponseReturnValue:
    """A ticket's live status, for the citizen's phone (the QR code on the slip links here)."""
    desk = current_app.extensions["motcua"].desk
    view = desk.get(ticket_id)  # 404 page for unknown ids, see errors.register
    site = desk.site(view.ticket.site)
    return render_template("status.html", site=site, ticket_id=view.ticket.id, lang=_lang())


def _demo_devices() -> DemoDevices | None:
    """The demo's simulated devices (404 outside demo mode; None when they are off)."""
    ext = current_app.extensions["motcua"]
    if not ext.config.demo:
        abort(404)
    devices: DemoDevices | None = ext.demo_devices
    return devices


def _demo_lock() -> tuple[str, str] | None:
    """Why the demo's keypads are locked (Vietnamese, English), or None when they are open:
    on a loopback-bound server, or one marked `public_demo` (anyone reaching it presses)."""
    server = current_app.extensions["motcua"].config.server
    if server.loopback or server.public_demo:
        return None
    return render("demo_locked", host=server.host)


@bp.get("/demo/devices")
def demo_devices() -> ResponseReturnValue:
    """Demo mode: a virtual keypad and the virtual LED board of every counter."""
    devices = _demo_devices()
    ext = current_app.extensions["motcua"]
    return render_template(
        "demo_devices.html", site=ext.config.default_site, keys=ext.demo_keys,
        running=devices is not None, locked=_demo_lock(), lang=_lang(),
    )  # fmt: skip


@bp.get("/demo/devices/state")
def demo_devices_state() -> ResponseReturnValue:
    """What each virtual LED board shows (polled by the page)."""
    devices = _demo_devices()
    if devices is None:
        return jsonify({"running": False, "connected": False, "error": "off", "leds": {}})
    return jsonify(devices.state())


@bp.post("/demo/devices/<int:counter>/press")
def demo_devices_press(counter: int) -> ResponseReturnValue:
    """Press a key on a virtual keypad: body {"key": "NEXT"}; the frame goes out on its line."""
    devices = _demo_devices()
    locked = _demo_lock()
    if locked is not None:
        return jsonify({"error": "demo_locked", "message": locked[0], "message_en": locked[1]}), 403
    body = request.get_json(silent=True)  # JSON only: a cross-site form cannot press keys
    name = body.get("key") if isinstance(body, dict) else None
    keys = {k.value: k for k, _, _ in current_app.extensions["motcua"].demo_keys}
    allowed = set(keys)
    if not isinstance(name, str) or name.upper() not in allowed:
        return jsonify({"error": "bad_key", "allowed": sorted(allowed)}), 400
    if devices is None:
        return jsonify({"error": "devices_off"}), 503
    try:
        frame = devices.press(counter, keys[name.upper()])
    except LookupError:
        return jsonify({"error": "no_such_keypad"}), 404
    return jsonify({"ok": True, "frame": frame}), 202


CALL_RE = re.compile(r"^[0-9a-f]{64}\.wav$")


@bp.get("/audio/calls/<name>")
def call_audio(name: str) -> ResponseReturnValue:
    """An announcement's audio (chime + the call said twice), made when the call was made."""
    voice = current_app.extensions["motcua"].voice
    if voice is None or not CALL_RE.match(name) or not voice.ready(name):
        abort(404)
    return send_from_directory(voice.out_dir, name, mimetype="audio/wav", max_age=86400)


@bp.get("/audio/guide/<step>.wav")
def guide_audio(step: str) -> ResponseReturnValue:
    """Spoken kiosk guidance for a step (idle, fields, priority, ticket, print_failed)."""
    ext = current_app.extensions["motcua"]
    if ext.voice is None:
        abort(404)
    site = ext.desk.site(request.args.get("site"))
    try:
        made = ext.voice.guide(site, step, _lang())
    except ValueError:
        abort(404)
    except Exception:  # no engine could speak: the kiosk simply stays silent
        abort(404)
    return send_from_directory(made.path.parent, made.path.name, mimetype="audio/wav", max_age=3600)


@bp.get("/t/<ticket_id>/slip")
def ticket_slip(ticket_id: str) -> ResponseReturnValue:
    """The slip as an HTML page sized for 80 mm (or A6) paper: the fallback for printers
    that do not speak ESC/POS, printed by the kiosk's browser. ?procedure= adds its documents."""
    import io

    import qrcode
    import qrcode.image.svg

    ext = current_app.extensions["motcua"]
    view = ext.desk.get(ticket_id)
    site = ext.desk.site(view.ticket.site)
    base = ext.config.server.status_base(request.host, request.url_root)
    slip = ext.printing.slip(view, site, base, request.args.get("procedure"))
    out = io.BytesIO()
    qrcode.make(slip.status_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8).save(out)
    qr_svg = out.getvalue().decode("utf-8").split("?>", 1)[-1]
    return render_template("slip.html", slip=slip, qr_svg=qr_svg, session=slip.session)


@bp.get("/fonts/<name>")
def font(name: str) -> ResponseReturnValue:
    """Be Vietnam Pro, installed from PyPI (fontpkg-be-vietnam-pro), served locally."""
    import fontpkg_be_vietnam_pro

    if not FONT_RE.match(name):
        abort(404)
    resp = send_from_directory(fontpkg_be_vietnam_pro.ROOT / "files", name, max_age=86400)
    return resp


@bp.get("/vendor/<name>")
def vendor(name: str) -> ResponseReturnValue:
    """Front-end libraries installed from npm with a lockfile; never committed, never a CDN."""
    if name not in VENDOR:
        abort(404)
    package, path = VENDOR[name]
    folder = node_modules() / package
    if not (folder / path).exists():
        abort(404, description="run scripts/setup.sh (npm ci) to install front-end libraries")
    return send_from_directory(folder, path, max_age=3600)
