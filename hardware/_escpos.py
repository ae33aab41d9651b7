"""python-escpos, imported without its side effect on the application's logging."""

import logging

_root = logging.getLogger()
_before = list(_root.handlers)

from escpos.capabilities import get_profile  # noqa: E402
from escpos.exceptions import DeviceNotFoundError  # noqa: E402
from escpos.printer import Dummy, Network, Serial, Usb  # noqa: E402

# escpos.capabilities calls logging.basicConfig() when imported, which would turn the
# application's own basicConfig() (level, format) into a silent no-op: undo it.
for _handler in list(_root.handlers):
    if _handler not in _before:
        _root.removeHandler(_handler)

__all__ = ["DeviceNotFoundError", "Dummy", "Network", "Serial", "Usb", "get_profile"]
