"""Comments and speech on a recording's timeline (docs/contracts.md, Recording timelines).

Beside each recorded file ``<name>.mp4`` the suite writes ``<name>.danmaku.ass`` (the room's comments scrolling in
lanes, gifts and follows highlighted) and ``<name>.speech.srt`` / ``.vtt`` (the streamer's transcript), each cue at
its moment in the video, and can burn the danmaku into a copy (``burn.py``).

Why here, in the gateway, and not in ``shared/`` or StreamCap: the subtitles are a view over the events, and the
gateway alone owns the event tables (it stores them; nobody else reads or writes them). StreamCap owns the recording
and its clock: it writes each file's ``<name>.timeline.json`` (``shared/timeline.py``, in ``shared/`` because both
services use the format). So the recorder knows nothing of comments, and the gateway asks StreamCap (its API) which
files a recording has. The gateway writes the subtitles at remux time (on StreamCap's ``remuxed`` event, which it
receives like every event) and on demand for older recordings.

The parts: ``timebase`` (wall time → a file's time), ``lanes`` (non-overlapping danmaku lanes), ``formats`` (ASS,
SRT, VTT text), all pure; ``writer`` (the events of a file's window from the database → files); ``burn`` (the ffmpeg
job that renders a copy with the danmaku burned in).
"""
