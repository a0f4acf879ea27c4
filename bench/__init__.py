"""The hotpapers benchmark harness: ``python -m bench [--quick] [--json PATH]`` (see README.md)."""
