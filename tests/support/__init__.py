"""Helpers shared by the tap's tests: the one emulator factory, the tap as a process, the oracle.

Test modules import from here, never from a conftest.py or from each other.
"""
