"""Notification channels: one small package per kind over :mod:`.base`, looked up in :mod:`.registry`."""
