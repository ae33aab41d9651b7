"""MộtCửa Queue: queue management and display signage for Vietnamese one-stop centres."""

__version__ = "0.1.0"
