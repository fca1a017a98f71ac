"""List, and optionally pre-fill with espeak-ng, the clips a recorded voice pack needs.

    python -m nodes.display.voicepack PACK_DIR --counters "Loket 1" "Loket 2" --prefixes A B
    python -m nodes.display.voicepack PACK_DIR ... --espeak   # placeholder clips to replace

Prints one line per clip: its file name and the words to record. With `--espeak`, writes
every missing clip with espeak-ng's voice, so a pack works at once and a person can then
replace the clips one by one with recordings (same rate and channel count throughout).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from common.speech.phrase import TEMPLATES, required_clips
from common.speech.voices import EspeakVoice


def clip_words(name: str) -> str:
    """What to say for a clip: "nomor_antrian" -> "nomor antrian", "b" -> "B"."""
    return name.upper() if len(name) == 1 else name.replace("_", " ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pack", type=Path, help="the voice pack folder")
    parser.add_argument("--counters", nargs="*", default=["Loket 1"], help="counter names")
    parser.add_argument("--prefixes", nargs="*", default=["A"], help="service prefixes")
    parser.add_argument("--lang", choices=("id", "en"), default="id")
    parser.add_argument("--template", help="the [voice] template (default: the language's)")
    parser.add_argument("--espeak", action="store_true", help="write missing clips with espeak")
    args = parser.parse_args(argv)
    template = args.template or TEMPLATES[args.lang]
    clips = required_clips(template, args.counters, args.prefixes, args.lang)
    voice = EspeakVoice(args.lang) if args.espeak else None
    if voice is not None:
        args.pack.mkdir(parents=True, exist_ok=True)
    for name in clips:
        path = args.pack / f"{name}.wav"
        state = "present" if path.exists() else "missing"
        if voice is not None and not path.exists():
            path.write_bytes(voice.piece(clip_words(name)).to_wav())
            state = "espeak"
        print(f"{path.name:<22} {state:<8} {clip_words(name)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
