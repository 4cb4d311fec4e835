"""The factory's named profiles: each a seed `Layout` and its embedding spaces."""

from __future__ import annotations

from dataclasses import dataclass

from server.ingest.seed_catalog import DEFAULT_EMBEDDINGS, DEMO, Layout, Spaces


@dataclass(frozen=True)
class Profile:
    layout: Layout
    embeddings: Spaces = DEFAULT_EMBEDDINGS
    rows: int = 12


# Every export section on every row: each row is in its media's project and in a model run with a prediction,
# images, videos and texts take turns, videos are short, and global key `gk-<i>` names row i.
EXPORT = Profile(
    Layout(
        projects=(
            ("Street scenes labeling", "IMAGE", "Street scenes", 1.0, 2),
            ("Traffic video tracking", "VIDEO", "Traffic video", 1.0, 1),
            ("News entity tagging", "TEXT", "Language", 1.0, 1),
        ),
        models=(
            ("Street detector", "IMAGE", "Street scenes", ("baseline-v1", "finetuned-v2"), 1.0),
            ("Traffic tracker", "VIDEO", "Traffic video", ("track-v1",), 1.0),
            ("Entity tagger", "TEXT", "Language", ("ner-v1",), 1.0),
        ),
        media_cycle=("IMAGE", "VIDEO", "TEXT"),  # the export tests count rows of these three kinds
        global_key="gk-{i:07d}",
        external_id="ext-{i}",
        # every frame of a segment is exported (interpolatedFrames): short clips keep lines small
        video_frames=(30, 90),
    ),
    embeddings=(("clip", 8),),
)

PROFILES: dict[str, Profile] = {
    "demo": Profile(DEMO),
    "export": EXPORT,
}
