"""A/B updates with RAUC: the boot-time health check that keeps or rejects a new root slot
(`antrian update-check`), and the office rollout (the hub's plan, each node's agent)."""
