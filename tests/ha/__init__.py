"""Tests of the Home Assistant integration (run with ``make test-ha``)."""
