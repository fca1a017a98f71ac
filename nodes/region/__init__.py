"""The regional service (`antrian region`): many offices' event logs in one PostgreSQL
database, and the regional dashboard over it.

    config.py    region.toml
    wire.py      the office -> region uplink contract, decoded (pure)
    store.py     PostgreSQL: schema, idempotent ingest under the office's row lock, queries
    intake.py    the regional broker: shared subscription, ack after commit
    summary.py   per office and day figures, computed by the hub's report code
    web.py       the dashboard (Starlette + Jinja2, the office web's look and words)
    daemon.py    wiring, in the house's node shell

The one exception to the rooms of nodes/__init__.py: this package may import `nodes.hub`
(its typed events, its report code, its web helpers), since the region is built from what the
hubs send; nothing but nodes/cli.py imports this package. docs/region.md has the contract.
"""
