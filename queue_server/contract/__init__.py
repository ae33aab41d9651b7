"""The wire contract, declared once: shared by the server, the device agent and the pages.

- `messages`: every user-visible error and status text, Vietnamese and English, by code.
- `models`: the JSON shapes of API v1 (requests and responses) as pydantic models.
- `events`: Socket.IO event names and their payloads.

Nothing here imports Flask, Socket.IO or SQLAlchemy.
"""
