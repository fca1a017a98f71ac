"""The kiosk node: service buttons, the thermal ticket printer, one ticket per press."""
