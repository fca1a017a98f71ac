"""The display node: the waiting-room screen (pygame) and the announcer (chime + voice)."""

import os

# pygame prints a greeting on import; a daemon's log is no place for it.
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
