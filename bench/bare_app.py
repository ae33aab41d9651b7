"""The floor for bench_realtime.py: a bare Flask-SocketIO app, nothing else.

Same stack as `motcua run`: Flask-SocketIO with an explicit async mode
(threading by default, or gevent), served by `socketio.run(...,
allow_unsafe_werkzeug=True)`. Clients connecting to /display join one room;
POST /emit emits its JSON body (plus a seq) as `ticket.called` to that room.
No database, no auth, no payload building: what is left is the cost of
Flask + Socket.IO itself.

    python bench/bare_app.py --port 5099 [--async-mode gevent]
"""

from __future__ import annotations

import argparse
import sys

NAMESPACE = "/display"
ROOM = "site:bench"


def main(argv: list[str] | None = None) -> int:
    """Parse options, patch for gevent if asked, serve until killed."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--async-mode", choices=["threading", "gevent"], default="threading")
    p.add_argument(
        "--before",
        type=int,
        default=0,
        help="diagnostics: emit this many `ticket.completed` events of the same body first, "
        "as ours does when call-next completes the counter's previous ticket",
    )
    args = p.parse_args(argv)
    if args.async_mode == "gevent":
        from gevent import monkey  # patch before Flask and the socket module are used

        monkey.patch_all()

    import itertools
    import threading

    from flask import Flask, jsonify, request
    from flask_socketio import SocketIO, join_room

    app = Flask(__name__)
    socketio = SocketIO(app, async_mode=args.async_mode, cors_allowed_origins=[])
    lock = threading.Lock()
    seqs = itertools.count(1)

    @socketio.on("connect", namespace=NAMESPACE)
    def connect(auth: object = None) -> bool:
        join_room(ROOM)
        return True

    @app.get("/health")
    def health() -> object:
        return jsonify({"status": "ok", "async_mode": socketio.async_mode})

    @app.post("/emit")
    def emit() -> object:
        body = request.get_json(force=True)
        with lock:  # like ours: number the event and emit it in seq order
            for _ in range(args.before):
                extra = {**body, "ticket": {**body["ticket"], "id": "previous"}}
                extra["seq"] = next(seqs)
                socketio.emit("ticket.completed", extra, namespace=NAMESPACE, to=ROOM)
            body["seq"] = next(seqs)
            socketio.emit("ticket.called", body, namespace=NAMESPACE, to=ROOM)
        return jsonify({"seq": body["seq"]})

    print(f"bare Flask-SocketIO floor on {args.host}:{args.port} ({socketio.async_mode})")
    sys.stdout.flush()
    socketio.run(
        app,
        host=args.host,
        port=args.port,
        allow_unsafe_werkzeug=True,
        log_output=False,
        use_reloader=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
