"""Speech shared by the nodes that talk: phrase rules, voices, audio and its outputs."""
