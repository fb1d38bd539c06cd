from __future__ import annotations

import asyncio

import httpx

from .clusters import Cluster, pod_spec, py, status_of

COUNT = "import time\nfor i in range(5): print('line', i, flush=True)\n"


async def test_log_endpoint(cluster: Cluster) -> None:
    node = await cluster.start()
    await cluster.create(pod_spec("talk", py("main", COUNT), restartPolicy="Never"))
    await cluster.wait_phase("talk", "Succeeded")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{node.log_port}") as http:
        full = await http.get("/containerLogs/default/talk/main")
        assert full.status_code == 200
        assert full.headers["content-type"] == "text/plain"
        assert full.text == "".join(f"line {i}\n" for i in range(5))
        tail = await http.get("/containerLogs/default/talk/main", params={"tailLines": 2})
        assert tail.text == "line 3\nline 4\n"
        stamped = await http.get("/containerLogs/default/talk/main", params={"timestamps": "true"})
        first = stamped.text.splitlines()[0]
        assert first.endswith("Z line 0") and first[4] == "-"
        limited = await http.get("/containerLogs/default/talk/main", params={"limitBytes": 3})
        assert limited.text == "lin"
        missing = await http.get("/containerLogs/default/nope/main")
        assert missing.status_code == 404
        assert missing.json()["reason"] == "NotFound"
        previous = await http.get("/containerLogs/default/talk/main", params={"previous": "true"})
        assert previous.status_code == 400


async def test_follow_streams_until_exit_and_previous(cluster: Cluster) -> None:
    node = await cluster.start()
    code = (
        "import os, sys, time\n"
        "runs = len(os.listdir('.'))\n"
        "print('run', runs, flush=True)\n"
        "open(str(time.time()), 'w').close()\n"
        # The first run outlives any delay between `running` and the follow request.
        "time.sleep(3 if runs == 0 else 0.1); print('bye', flush=True)\n"
        "sys.exit(1)\n"
    )
    await cluster.create(pod_spec("f", py("main", code), restartPolicy="OnFailure"))
    await cluster.wait("f", lambda p: "running" in status_of(p)["state"])
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{node.log_port}") as http:
        async with http.stream(
            "GET", "/containerLogs/default/f/main", params={"follow": "true"}
        ) as answer:
            body = b"".join([chunk async for chunk in answer.aiter_bytes()])
        assert body == b"run 0\nbye\n"
        await cluster.wait("f", lambda p: status_of(p)["restartCount"] >= 1)
        # The restart is in the status; the first run's log becomes `previous` alongside it.
        async with asyncio.timeout(5):
            while True:
                previous = await http.get(
                    "/containerLogs/default/f/main", params={"previous": "true"}
                )
                if previous.status_code == 200:
                    break
                await asyncio.sleep(0.02)
        assert previous.text == "run 0\nbye\n"
