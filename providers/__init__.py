"""Vendor adapters, the normalised call-center model and the simulators.

Nothing in this package imports Django: it can be used and tested on its own.
"""
