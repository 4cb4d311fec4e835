"""Real Labelbox lines import and export back byte-identical, in both formats; each format reads the other's lines.

`tests/golden/labelbox/released.ndjson` is built from Labelbox's published export samples (docs.labelbox.com export
quick reference and annotation pages; the labelbox-python SDK's export tests and fixtures): an image row labeled in a
project with every image annotation kind and two embeddings, a video row (label_kind Video, key frames), a text row
(TextEntity with its token), a conversational row (message-level classification) and an image row in a model run
with a label and a prediction. Vectors hold float32-exact values: vectors are stored as float32.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from server.ingest.import_rows import convert_line, line_format
from server.ingest.ndjson import import_file
from server.loading.formats import ExportFormat
from server.settings import Settings
from tests.utils.export_tasks import running, start_export

SAMPLE = Path(__file__).parents[1] / "golden" / "labelbox" / "released.ndjson"
# every section the sample holds (interpolated frames would add the frames between the video's key frames)
PARAMS = {
    "dataRowDetails": True,
    "mediaAttributes": True,
    "attachments": True,
    "metadataFields": True,
    "embeddings": True,
    "projectDetails": True,
    "labelDetails": True,
    "performanceDetails": True,
    "predictions": True,
    "allProjects": True,
    "allModelRuns": True,
}


def _lines(path: Path) -> int:
    return len(path.read_bytes().splitlines())


async def _imported_then_exported(settings: Settings, source: Path, formats: tuple[str, ...]) -> list[bytes]:
    report = await import_file(settings, source)
    lines = _lines(source)
    assert (report.lines, report.rows, report.errors) == (lines, lines, [])
    out = []
    async with running(settings) as (_, gql, http):
        for fmt in formats:
            task = await start_export(gql, {**PARAMS, "format": fmt})
            assert (await gql.wait_export(task["id"]))["status"] == "COMPLETE"
            out.append((await http.get(f"/exports/{task['id']}.ndjson")).content)
    return out


async def test_a_real_labelbox_export_imports_and_exports_back_byte_identical(
    settings: Settings, empty_settings: Settings, tmp_path: Path
) -> None:
    released, beta = await _imported_then_exported(empty_settings, SAMPLE, ("LABELBOX", "LABELBOX_2023_BETA"))
    assert released == SAMPLE.read_bytes()
    assert b'"project_name":' in beta and b'"models":' in beta and b'"experiments":' not in beta
    # the beta lines import too, into another empty database, and give back both formats byte for byte
    beta_file = tmp_path / "beta.ndjson"
    beta_file.write_bytes(beta)
    assert await _imported_then_exported(settings, beta_file, ("LABELBOX", "LABELBOX_2023_BETA")) == [released, beta]


def test_each_line_is_read_in_its_own_envelope_and_an_enum_may_be_a_list_of_options() -> None:
    released = [orjson.loads(line) for line in SAMPLE.read_bytes().splitlines()]
    assert {line_format(line) for line in released} == {ExportFormat.LABELBOX}
    beta = {"data_row": {"id": "r", "row_data": "x"}, "projects": {"p": {"project_name": "P", "labels": []}}}
    assert line_format(beta) == ExportFormat.LABELBOX_2023_BETA
    assert line_format({"data_row": {"id": "r", "row_data": "x"}, "projects": {}}) == ExportFormat.LABELBOX
    enum = [{"schema_id": "opt-a", "schema_name": "a"}, {"schema_id": "opt-b", "schema_name": "b"}]
    line = {"data_row": {"id": "r", "row_data": "x"}, "metadata_fields": [{"schema_id": "s", "schema_name": "tags",
                                                                           "value": enum}]}  # fmt: skip
    rows = convert_line(line, "org", "dataset")
    (value,) = rows.rows["metadatavalue"]
    assert (value["option_id"], orjson.loads(value["value_json"])) == ("opt-a", enum)  # stored as written
    assert set(rows.shared["metadataschema"]) == {"s", "opt-a", "opt-b"}
    assert rows.shared["metadataschema"]["s"]["kind"] == "ENUM"
