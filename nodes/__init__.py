"""The node daemons (hub with its web front end, kiosk, counter, display) and the tools.

The rule (tests/test_architecture.py): a node package never imports another, and `common/`
knows no node. The tools `nodes/cli.py` (one entry point for every role) and `nodes/setup`
(provisioning: it checks each node's file with that daemon's own config reader) may import
any node; nothing imports them.
"""
