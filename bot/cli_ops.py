"""CLI commands for operators: check, discord-invite, backfill."""

from __future__ import annotations
