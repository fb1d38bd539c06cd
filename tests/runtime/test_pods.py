from __future__ import annotations

import ipaddress

from pinnace.api import kinds
from pinnace.kits.kube.objects import Object

from .clusters import Cluster, condition, pod_spec, py, status_of


async def test_pod_runs_to_success(cluster: Cluster) -> None:
    node = await cluster.start()
    await cluster.create(
        pod_spec(
            "hello",
            py("main", "import os; print('hello', os.environ['POD_IP'])"),
            restartPolicy="Never",
        )
    )
    pod = await cluster.wait_phase("hello", "Succeeded")
    status = pod["status"]
    ip = status["podIP"]
    assert ipaddress.IPv4Address(ip) in ipaddress.IPv4Network("127.1.0.0/16")
    assert status["podIPs"] == [{"ip": ip}]
    assert status["hostIP"] == "127.0.0.1"
    assert status["startTime"]
    cs = status_of(pod)
    assert cs["state"]["terminated"]["exitCode"] == 0
    assert cs["state"]["terminated"]["reason"] == "Completed"
    assert cs["restartCount"] == 0
    assert cs["image"] == "python:3.11"
    assert cs["imageID"].startswith("pinnace://")
    assert cs["containerID"].startswith("pinnace://")
    assert condition(pod, "Ready") == "False"
    assert condition(pod, "Initialized") == "True"
    assert condition(pod, "PodScheduled") == "True"
    worker = node.agent.find("default", "hello")
    assert worker is not None
    runner = worker.runner("main")
    assert runner is not None
    assert runner.log_path().read_text() == f"hello {ip}\n"
    nodes = cluster.api.objects(kinds.NODES)
    assert nodes[0]["metadata"]["name"] == "pinnace"
    assert nodes[0]["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"] == node.log_port
    ready = [c for c in nodes[0]["status"]["conditions"] if c["type"] == "Ready"]
    assert ready[0]["status"] == "True"


async def test_pause_pod_is_ready_until_stopped(cluster: Cluster) -> None:
    await cluster.start()
    pause = {"name": "pause", "image": "registry.k8s.io/pause:3.10"}
    # A grace period longer than the wait below: the pause process must end on SIGTERM.
    await cluster.create(pod_spec("sandbox", pause, terminationGracePeriodSeconds=30))
    pod = await cluster.wait("sandbox", lambda p: condition(p, "Ready") == "True")
    assert pod["status"]["phase"] == "Running"
    assert "running" in status_of(pod, "pause")["state"]
    assert status_of(pod, "pause")["restartCount"] == 0
    await cluster.api.delete(kinds.PODS, "sandbox", namespace="default")
    await cluster.wait_gone("sandbox", timeout=10)


async def test_pod_fails_with_exit_code(cluster: Cluster) -> None:
    await cluster.start()
    await cluster.create(pod_spec("bad", py("main", "raise SystemExit(3)"), restartPolicy="Never"))
    pod = await cluster.wait_phase("bad", "Failed")
    terminated = status_of(pod)["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (3, "Error")


async def test_missing_command_waits(cluster: Cluster) -> None:
    await cluster.start()
    await cluster.create(pod_spec("nocmd", {"name": "main", "image": "x"}))
    pod = await cluster.wait(
        "nocmd",
        lambda p: (
            "waiting" in status_of(p)["state"]
            and status_of(p)["state"]["waiting"]["reason"] == "CreateContainerConfigError"
        ),
    )
    assert pod["status"]["phase"] == "Pending"


async def test_always_restarts_with_crash_loop_backoff(cluster: Cluster) -> None:
    await cluster.start()
    await cluster.create(pod_spec("crash", py("main", "raise SystemExit(1)")))
    pod = await cluster.wait("crash", lambda p: status_of(p)["restartCount"] >= 3)
    cs = status_of(pod)
    assert cs["lastState"]["terminated"]["exitCode"] == 1
    assert pod["status"]["phase"] == "Running"
    seen: list[str] = []

    def waiting(p: Object) -> bool:
        state = status_of(p)["state"]
        seen.append(state.get("waiting", {}).get("reason", ""))
        return "CrashLoopBackOff" in seen

    await cluster.wait("crash", waiting)


async def test_on_failure_restarts_until_success(cluster: Cluster) -> None:
    await cluster.start()
    code = (
        "import os, sys\n"
        "if os.path.exists('marker'): sys.exit(0)\n"
        "open('marker', 'w').close(); sys.exit(2)\n"
    )
    await cluster.create(pod_spec("flaky", py("main", code), restartPolicy="OnFailure"))
    pod = await cluster.wait_phase("flaky", "Succeeded")
    cs = status_of(pod)
    assert cs["restartCount"] == 1
    assert cs["lastState"]["terminated"]["exitCode"] == 2


async def test_init_containers_run_first_and_share_volumes(cluster: Cluster) -> None:
    await cluster.start()
    mount = [{"name": "shared", "mountPath": "/shared-test-mount"}]
    pod = pod_spec(
        "init",
        py(
            "main",
            "import sys; print(open(sys.argv[1]).read())",
            args=["/shared-test-mount/f"],
            volumeMounts=mount,
        ),
        initContainers=[
            py(
                "first",
                "import sys; open(sys.argv[1], 'w').write('from-init')",
                args=["/shared-test-mount/f"],
                volumeMounts=mount,
            ),
            py("second", "print('second')"),
        ],
        volumes=[{"name": "shared", "emptyDir": {}}],
        restartPolicy="Never",
    )
    await cluster.create(pod)
    done = await cluster.wait_phase("init", "Succeeded")
    inits = done["status"]["initContainerStatuses"]
    assert [c["state"]["terminated"]["exitCode"] for c in inits] == [0, 0]
    assert condition(done, "Initialized") == "True"


async def test_failed_init_container_fails_the_pod(cluster: Cluster) -> None:
    await cluster.start()
    pod = pod_spec(
        "badinit",
        py("main", "print('never')"),
        initContainers=[py("first", "raise SystemExit(5)")],
        restartPolicy="Never",
    )
    await cluster.create(pod)
    done = await cluster.wait_phase("badinit", "Failed")
    assert done["status"]["initContainerStatuses"][0]["state"]["terminated"]["exitCode"] == 5
    assert "waiting" in status_of(done)["state"]
    assert condition(done, "Initialized") == "False"


async def test_config_error_until_the_configmap_exists(cluster: Cluster) -> None:
    await cluster.start()
    env = [{"name": "V", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "k"}}}]
    await cluster.create(
        pod_spec(
            "cfg", py("main", "import os; print(os.environ['V'])", env=env), restartPolicy="Never"
        )
    )
    await cluster.wait(
        "cfg",
        lambda p: (
            status_of(p)["state"].get("waiting", {}).get("reason") == "CreateContainerConfigError"
        ),
    )
    assert cluster.node is not None
    cluster.node.services.config_retry = 0.05
    await cluster.api.create(
        kinds.CONFIGMAPS,
        {"metadata": {"name": "cfg", "namespace": "default"}, "data": {"k": "v1"}},
    )
    await cluster.wait_phase("cfg", "Succeeded")
    worker = cluster.node.agent.find("default", "cfg")
    assert worker is not None and worker.runner("main") is not None
    assert worker.runner("main").log_path().read_text() == "v1\n"  # type: ignore[union-attr]


async def test_memory_limit_oom_kills(cluster: Cluster) -> None:
    await cluster.start()
    code = (
        "import time; b = bytearray(120 * 2**20); b[::4096] = b'x' * len(b[::4096]); time.sleep(30)"
    )
    await cluster.create(
        pod_spec(
            "hog", py("main", code, resources={"limits": {"memory": "64Mi"}}), restartPolicy="Never"
        )
    )
    pod = await cluster.wait_phase("hog", "Failed")
    terminated = status_of(pod)["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (137, "OOMKilled")


async def test_active_deadline_fails_the_pod_with_deadline_exceeded(cluster: Cluster) -> None:
    await cluster.start()
    await cluster.create(
        pod_spec(
            "slow",
            py("main", "import time; print('started', flush=True); time.sleep(60)"),
            restartPolicy="Never",
            activeDeadlineSeconds=1,
            terminationGracePeriodSeconds=1,
        )
    )
    pod = await cluster.wait_phase("slow", "Failed", timeout=20)
    assert pod["status"]["reason"] == "DeadlineExceeded"
    assert "deadline" in pod["status"]["message"]
    assert "terminated" in status_of(pod)["state"]


async def test_a_pod_that_ends_before_its_deadline_succeeds(cluster: Cluster) -> None:
    await cluster.start()
    await cluster.create(
        pod_spec(
            "quick", py("main", "print('done')"), restartPolicy="Never", activeDeadlineSeconds=30
        )
    )
    pod = await cluster.wait_phase("quick", "Succeeded")
    assert "reason" not in pod["status"]
