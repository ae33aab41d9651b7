"""The queue domain: plain Python, no Flask, no database.

Everything here can be driven by a test with a fake clock.
"""
