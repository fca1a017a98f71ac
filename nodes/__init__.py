"""The four node daemons (hub, kiosk, counter, display) and the hub's web front end."""
