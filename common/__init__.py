"""Shared by every node: the wire contract, the MQTT link, config, language, systemd."""

__version__ = "0.1.0"
