"""The hub: the office's queue (pure core), its SQLite store, and what it publishes."""
