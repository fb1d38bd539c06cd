"""The launcher: what a task pod runs (KFP's driver-side resolution done, launcher role here).

`python -m pinnace.pipelines.launcher` reads the `launches.Launch` the run
controller put in `$PINNACE_LAUNCH`, then `launch()`:
1. builds KFP's `executor_input` (input parameter values; input artifacts
   with uri, metadata and local path; an output file per output parameter;
   a local path per output artifact; the executor output file);
2. resolves every placeholder of the command and args (`placeholders`);
3. runs the command with a `pip` shim first on PATH and PYTHONPATH, so the
   compiler's `pip install kfp==X` prologue costs no pip process and never
   changes the environment (`shim/pip`); `packages_to_install` the
   environment lacks come from a cached environment the shim links at the
   task's overlay path, which is on PYTHONPATH (and its `bin/` on PATH);
   kfp's lightweight-component command itself runs inline when every
   requirement is already met (`inlining`: no sh, no pip, no fresh interpreter);
   parameter values and arguments under one of the pod's mount paths (and
   `{{$.workspace_path}}`) point at where the runtime really put the mount;
4. collects output parameters (executor_output.json, else the output files)
   and artifacts with their metadata, and writes `launches.Outputs` to the
   store, where the controller reads it. The command's exit code is ours.
Artifacts on a `file://` root are read and written in place; remote roots
(s3://) are not staged yet.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from pinnace.pipelines import inlining, launches, placeholders, stores
from pinnace.pipelines.shim.pip import overlays

SHIM_DIR = Path(__file__).parent / "shim"

_PIP_SCRIPT = '#!/bin/sh\nexec python3 -m pip "$@"\n'


class LaunchError(Exception):
    """The task cannot run or its outputs cannot be collected; the pod fails with the message."""


def _local(uri: str) -> str:
    path = stores.local_path(uri)
    if path is None:
        raise LaunchError(f"artifact {uri!r}: only file:// pipeline roots are supported yet")
    return path


def mount_views(launch: launches.Launch, environ: dict[str, str]) -> dict[str, str]:
    """Each mount path of the pod → where this process sees it (`launches.MOUNT_ENV`)."""
    return {
        path: environ.get(f"{launches.MOUNT_ENV}{i}") or path
        for i, path in enumerate(launch.mounts)
    }


def in_mounts(value: Any, views: dict[str, str]) -> Any:
    """A parameter value or argument naming a path under a mount (also after `=`, and the
    workspace placeholder) pointed at where this pod's mount really is."""
    if not isinstance(value, str) or not views:
        return value
    if launches.WORKSPACE_MOUNT in views:
        value = value.replace("{{$.workspace_path}}", launches.WORKSPACE_MOUNT)
    head, eq, tail = value.rpartition("=") if "=" in value else ("", "", value)
    for path in sorted(views, key=len, reverse=True):
        if path != "/" and (tail == path or tail.startswith(path + "/")):
            return head + eq + views[path] + tail[len(path) :]
    return value


def executor_input(
    launch: launches.Launch, work: Path, *, views: dict[str, str] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """KFP's ExecutorInput for this launch, and artifact uri → local path."""
    local: dict[str, str] = {}
    values = {k: in_mounts(v, views or {}) for k, v in launch.parameters.items()}
    inputs: dict[str, Any] = {"parameterValues": values, "artifacts": {}}
    for name, arts in launch.artifacts.items():
        items = []
        for art in arts:
            path = _local(art.uri)
            local[art.uri] = path
            items.append(
                {
                    "name": art.name or name,
                    "uri": path,  # kfp's executor takes a local uri as the path
                    "metadata": dict(art.metadata),
                    "type": {"schemaTitle": art.schema_title, "schemaVersion": art.schema_version},
                }
            )
        inputs["artifacts"][name] = {"artifacts": items}
    # kfp's executor takes the directory of this file as the task root (`dsl.get_uri()`),
    # so it lives in the task's directory of the store, where artifacts it names persist.
    root = Path(_local(launch.task_root)) if launch.task_root else work
    root.mkdir(parents=True, exist_ok=True)
    outputs: dict[str, Any] = {
        "parameters": {},
        "artifacts": {},
        "outputFile": str(root / "executor_output.json"),
    }
    for name in launch.output_parameters:
        outputs["parameters"][name] = {"outputFile": str(work / "parameters" / name)}
    for name, out in launch.output_artifacts.items():
        path = _local(out.uri)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        local[path] = path
        outputs["artifacts"][name] = {
            "artifacts": [
                {
                    "name": name,
                    "uri": path,
                    "metadata": {},
                    "type": {"schemaTitle": out.schema_title, "schemaVersion": out.schema_version},
                }
            ]
        }
    (work / "parameters").mkdir(parents=True, exist_ok=True)
    return {"inputs": inputs, "outputs": outputs}, local


def runtime_values(launch: launches.Launch, workspace: str = "") -> dict[str, str]:
    return {
        **({"workspace_path": workspace} if workspace else {}),
        "pipeline_job_name": launch.run,
        "pipeline_job_resource_name": launch.run,
        "pipeline_job_uuid": launch.run_uid,
        "pipeline_task_name": launch.task,
        "pipeline_task_uuid": launch.task_id,
        "pipeline_root": launch.pipeline_root,
    }


def uv_binary() -> str:
    """uv beside the launcher's interpreter (make install puts it there), else on PATH."""
    beside = Path(sys.executable).parent / "uv"
    return str(beside) if beside.exists() else shutil.which("uv") or ""


def environment(work: Path, base: dict[str, str], *, envs_dir: str = "") -> dict[str, str]:
    """The command's environment: the pod's, with the pip shim first on PATH and PYTHONPATH,
    then the task's overlay (`packages_to_install`, filled by the shim when needed)."""
    bin_dir = work / "bin"
    bin_dir.mkdir(exist_ok=True)
    pip = bin_dir / "pip"
    pip.write_text(_PIP_SCRIPT)
    pip.chmod(0o755)
    overlay = work / "overlay"
    env = dict(base)
    path = [str(bin_dir), str(overlay / "bin"), base.get("PATH", os.defpath)]
    env["PATH"] = os.pathsep.join(path)
    py = [str(SHIM_DIR), str(overlay), *([base["PYTHONPATH"]] if base.get("PYTHONPATH") else [])]
    env["PYTHONPATH"] = os.pathsep.join(py)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env[overlays.OVERLAY_ENV] = str(overlay)
    if envs_dir:
        env[overlays.ENVS_ENV] = envs_dir
        env.setdefault(overlays.UV_ENV, uv_binary())
    return env


def parse_parameter(ptype: str, text: str) -> Any:
    """An output parameter file's text as a value of its IR type."""
    if ptype == "STRING":
        return text
    if ptype == "NUMBER_INTEGER":
        return int(text.strip())
    if ptype == "NUMBER_DOUBLE":
        return float(text.strip())
    if ptype == "BOOLEAN":
        return text.strip().lower() in ("true", "1")
    if ptype in ("LIST", "STRUCT"):
        return json.loads(text)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def collect(launch: launches.Launch, executor: dict[str, Any], work: Path) -> launches.Outputs:
    """Outputs from executor_output.json and the output files, as the controller reads them."""
    out_file = Path(executor["outputs"]["outputFile"])
    written: dict[str, Any] = json.loads(out_file.read_text()) if out_file.exists() else {}
    values = written.get("parameterValues") or {}
    params: dict[str, Any] = {}
    for name, ptype in launch.output_parameters.items():
        if name in values:
            params[name] = values[name]
            continue
        path = Path(executor["outputs"]["parameters"][name]["outputFile"])
        if not path.exists():
            raise LaunchError(f"output parameter {name!r} was not written ({path})")
        try:
            params[name] = parse_parameter(ptype, path.read_text())
        except ValueError as exc:
            raise LaunchError(f"output parameter {name!r} is not a {ptype}: {exc}") from exc
    arts: dict[str, tuple[launches.Artifact, ...]] = {}
    reported = written.get("artifacts") or {}
    for name, out in launch.output_artifacts.items():
        entries = (reported.get(name) or {}).get("artifacts") or []
        first = entries[0] if entries else {}
        uri = stores.to_uri(str(first.get("uri") or _local(out.uri)))
        arts[name] = (
            launches.Artifact(
                uri=uri,
                name=name,
                schema_title=out.schema_title,
                schema_version=out.schema_version,
                metadata=dict(first.get("metadata") or {}),
            ),
        )
    return launches.Outputs(parameters=params, artifacts=arts)


def launch(launch: launches.Launch, *, environ: dict[str, str] | None = None) -> int:
    """Run one task execution to the end; the exit code of the pod."""
    work = Path(tempfile.mkdtemp(prefix="pinnace-task-"))
    base = dict(environ or os.environ)
    views = mount_views(launch, base)
    workspace = views.get(launches.WORKSPACE_MOUNT, "")
    try:
        executor, local = executor_input(launch, work, views=views)
        ctx = placeholders.Context(executor, local, runtime_values(launch, workspace))
        try:
            argv = placeholders.resolve(launch.command, ctx) + placeholders.resolve(
                launch.args, ctx
            )
        except placeholders.PlaceholderError as exc:
            raise LaunchError(str(exc)) from exc
        if not argv:
            raise LaunchError("the executor has no command")
        argv = [in_mounts(arg, views) for arg in argv]
        sys.stdout.flush()
        env = environment(work, base, envs_dir=launch.envs_dir)
        code = inlining.run(argv, env)  # kfp's lightweight command without sh, pip, python
        if code is None:
            try:
                code = subprocess.call(argv, env=env)
            except OSError as exc:
                raise LaunchError(f"cannot run {argv[0]!r}: {exc.strerror}") from exc
        if code != 0:
            return code
        outputs = collect(launch, executor, work)
        stores.write_json(launch.outputs_uri, outputs.to_dict())
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)
