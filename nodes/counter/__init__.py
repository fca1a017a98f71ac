"""The counter node: the officer's keypad and the number shown at the counter."""
