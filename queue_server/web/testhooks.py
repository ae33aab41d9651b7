"""Test-only hooks, registered only with MOTCUA_TEST_HOOKS=1 (never in production)."""

from __future__ import annotations

from flask import current_app

from ..contract import models as m
from .routes import Api

hooks = Api("testhooks", __name__, url_prefix="/api/v1/_test")
bp = hooks.blueprint


@hooks.post("/drop-next-event", response=m.Dropping, hook=True)
def drop_next_event() -> m.Dropping:
    """Test hook: drop the next display event (only with MOTCUA_TEST_HOOKS)"""
    current_app.extensions["motcua"].broadcaster.drop_next(1)
    return m.Dropping(dropping=1)


@hooks.post("/printer-fault", response=m.FaultSet, body=m.PrinterFaultRequest, hook=True)
def printer_fault(body: m.PrinterFaultRequest) -> m.FaultSet:
    """Test hook: simulated printers fail with {fault}; {} clears it (MOTCUA_TEST_HOOKS only)"""
    for printer in current_app.extensions["motcua"].printing.printers():
        if hasattr(printer, "set_fault"):
            printer.set_fault(body.fault)
    return m.FaultSet(fault=body.fault)


@hooks.post("/disconnect-displays", response=m.Disconnected, hook=True)
def disconnect_displays() -> m.Disconnected:
    """Test hook: the server drops every /display connection (only with MOTCUA_TEST_HOOKS)"""
    count = current_app.extensions["motcua"].broadcaster.disconnect_all()
    return m.Disconnected(disconnected=count)
