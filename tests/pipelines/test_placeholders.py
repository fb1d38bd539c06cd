"""Every placeholder the kfp compiler writes into command and args, resolved."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pinnace.pipelines import placeholders

EXECUTOR: dict[str, Any] = {
    "inputs": {
        "parameterValues": {"msg": "hi", "n": 3, "flag": True, "items": [1, 2]},
        "artifacts": {
            "data": {
                "artifacts": [{"name": "data", "uri": "/store/data", "metadata": {"rows": 5}}]
            },
            "empty": {"artifacts": []},
        },
    },
    "outputs": {
        "parameters": {"out": {"outputFile": "/tmp/w/parameters/out"}},
        "artifacts": {"model": {"artifacts": [{"name": "model", "uri": "/store/model"}]}},
        "outputFile": "/tmp/w/executor_output.json",
    },
}
CTX = placeholders.Context(
    EXECUTOR,
    {"/store/data": "/local/data"},
    {"pipeline_job_name": "run-1", "pipeline_task_name": "train"},
)


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        pytest.param("{{$.inputs.parameters['msg']}}", ["hi"], id="input-value"),
        pytest.param("--n={{$.inputs.parameters['n']}}", ["--n=3"], id="inline"),
        pytest.param("{{$.inputs.parameters['flag']}}", ["true"], id="bool-value"),
        pytest.param("{{$.inputs.parameters['items']}}", ["[1, 2]"], id="list-value"),
        pytest.param("{{$.inputs.artifacts['data'].path}}", ["/local/data"], id="input-path"),
        pytest.param("{{$.inputs.artifacts['data'].uri}}", ["/store/data"], id="input-uri"),
        pytest.param(
            "{{$.inputs.artifacts['data'].metadata['rows']}}", ["5"], id="input-metadata-key"
        ),
        pytest.param(
            "{{$.outputs.parameters['out'].output_file}}",
            ["/tmp/w/parameters/out"],
            id="output-path",
        ),
        pytest.param("{{$.outputs.artifacts['model'].uri}}", ["/store/model"], id="output-uri"),
        pytest.param("{{$.outputs.artifacts['model'].metadata}}", ["{}"], id="output-metadata"),
        pytest.param(
            "{{$.outputs.output_file}}", ["/tmp/w/executor_output.json"], id="output-file"
        ),
        pytest.param("{{$.pipeline_job_name}}/{{$.pipeline_task_name}}", ["run-1/train"], id="job"),
        pytest.param(
            json.dumps({"Concat": ["a-", "{{$.inputs.parameters['msg']}}", "-b"]}),
            ["a-hi-b"],
            id="concat",
        ),
        pytest.param(
            json.dumps(
                {
                    "IfPresent": {
                        "InputName": "msg",
                        "Then": ["--msg", "{{$.inputs.parameters['msg']}}"],
                    }
                }
            ),
            ["--msg", "hi"],
            id="if-present-then",
        ),
        pytest.param(
            json.dumps({"IfPresent": {"InputName": "absent", "Then": ["--x"], "Else": "none"}}),
            ["none"],
            id="if-present-else",
        ),
        pytest.param(
            json.dumps({"IfPresent": {"InputName": "empty", "Then": ["--x"]}}),
            [],
            id="if-present-no-else",
        ),
        pytest.param(
            json.dumps(
                {
                    "Concat": [
                        "x=",
                        {"IfPresent": {"InputName": "n", "Then": "{{$.inputs.parameters['n']}}"}},
                    ]
                }
            ),
            ["x=3"],
            id="nested",
        ),
    ],
)
def test_resolves(item: str, expected: list[str]) -> None:
    assert placeholders.resolve([item], CTX) == expected


def test_the_whole_executor_input() -> None:
    (text,) = placeholders.resolve(["{{$}}"], CTX)
    assert json.loads(text) == EXECUTOR


@pytest.mark.parametrize(
    "item",
    [
        pytest.param("{{$.inputs.parameters['nope']}}", id="unknown-input"),
        pytest.param("{{$.outputs.artifacts['nope'].path}}", id="unknown-output"),
        pytest.param("{{$.workspace_path}}", id="workspace-not-supported"),
        pytest.param("{{$.inputs.artifacts['empty'].path}}", id="absent-artifact"),
    ],
)
def test_an_unknown_placeholder_is_an_error(item: str) -> None:
    with pytest.raises(placeholders.PlaceholderError):
        placeholders.resolve([item], CTX)
