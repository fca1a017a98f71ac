"""The four node daemons (hub, kiosk, counter, display), the hub's web front end, and the
provisioning tool (`nodes/setup`).

The house rule, checked by tests/test_architecture.py: a node package never imports
another node package; nodes talk only over the wire contract in `common/`, and `common/`
knows no node. Two exceptions, both tools rather than nodes, and nothing imports them:
`nodes/cli.py`, the one entry point that dispatches to every role, and `nodes/setup`,
which turns an office's config into each node's files and checks every file with the
reading daemon's own config reader (firstboot, provision).
"""
