"""SenseVoice's inline tags: ``<|zh|><|NEUTRAL|><|Speech|><|withitn|>text``, as both sherpa-onnx and FunASR give them.

The tags become fields (language, emotion, event); the text keeps only the words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["SenseVoiceTags", "clean_tag", "split_tags"]

_TAG = re.compile(r"<\|([^|<>]*)\|>")
_LANGUAGES = {"zh", "en", "yue", "ja", "ko", "nospeech"}
_EMOTIONS = {"happy", "sad", "angry", "neutral", "fearful", "disgusted", "surprised", "emo_unknown"}
_EVENTS = {"speech", "bgm", "laughter", "applause", "cry", "sneeze", "breath", "cough", "event_unk"}


@dataclass(frozen=True, slots=True)
class SenseVoiceTags:
    language: str = ""
    emotion: str = ""
    event: str = ""


def clean_tag(value: str) -> str:
    """``"<|NEUTRAL|>"`` or ``"NEUTRAL"`` → ``"neutral"``."""
    match = _TAG.fullmatch(value.strip())
    return (match.group(1) if match else value).strip().lower()


def split_tags(raw: str) -> tuple[str, SenseVoiceTags]:
    """Remove every ``<|...|>`` tag from ``raw`` and sort the known ones into fields."""
    language = emotion = event = ""
    for tag in (t.lower() for t in _TAG.findall(raw)):
        if tag in _LANGUAGES and not language:
            language = tag
        elif tag in _EMOTIONS and not emotion:
            emotion = tag
        elif tag in _EVENTS and not event:
            event = tag
    text = _TAG.sub("", raw).strip()
    return text, SenseVoiceTags(language=language, emotion=emotion, event=event)
