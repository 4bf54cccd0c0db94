import pytest

from pagerless.diagnosis.analyzers import container
from tests.unit.diagnosis.kube import cspec, cstatus, event, pod, running, snap, terminated, waiting

pytestmark = pytest.mark.unit


def categories(findings):
    return sorted(f.category for f in findings)


def test_recent_oomkilled_is_found_with_the_memory_limit_as_evidence():
    # Given a container OOMKilled three minutes ago with a 256Mi limit
    status = cstatus("api", state=waiting("CrashLoopBackOff"), last=terminated("OOMKilled", 137, 3), restarts=4)
    spec = cspec("api", resources={"limits": {"memory": "256Mi"}})
    snapshot = snap(pods=[pod("checkout-6d5f7c9b8-a1", statuses=[status], specs=[spec])])
    # When the container analyzer runs
    findings = container.analyze(snapshot)
    # Then it reports oom_killed citing the terminated state and the limit
    assert categories(findings) == ["oom_killed"]
    details = " ".join(e.detail for e in findings[0].evidence)
    assert "reason=OOMKilled" in details and "256Mi" in details
    assert findings[0].target["container"] == "api"


def test_an_old_oomkill_is_history_not_a_cause():
    # Given a container that was OOMKilled two days ago and has run fine since
    status = cstatus(state=running(60 * 48), last=terminated("OOMKilled", 137, 60 * 48), restarts=1)
    # When the container analyzer runs
    findings = container.analyze(snap(pods=[pod("checkout-6d5f7c9b8-a1", statuses=[status])]))
    # Then nothing is reported
    assert findings == []


@pytest.mark.parametrize("reason", ["Error", "ContainerStatusUnknown"])
def test_exit_137_without_oomkilled_is_not_an_oom_nor_an_app_crash(reason):
    # Given a container killed with exit 137 (liveness kill or eviction), not OOMKilled
    status = cstatus(state=running(1), last=terminated(reason, 137, 2), restarts=3)
    # When the container analyzer runs
    findings = container.analyze(snap(pods=[pod("checkout-6d5f7c9b8-a1", statuses=[status])]))
    # Then it reports neither oom_killed nor crashloop_app_error
    assert findings == []


def test_crashloop_quotes_the_exception_from_the_previous_log():
    # Given a crash-looping container whose previous instance died on a Python exception
    status = cstatus(state=waiting("CrashLoopBackOff"), last=terminated("Error", 1, 1), restarts=7)
    log = "INFO booting\nTraceback (most recent call last):\n  File \"x.py\", line 1\nKeyError: 'DATABASE_URL'"
    snapshot = snap(
        pods=[pod("checkout-6d5f7c9b8-a1", statuses=[status])], logs={"shop/checkout-6d5f7c9b8-a1/app#previous": log}
    )
    # When the container analyzer runs
    findings = container.analyze(snapshot)
    # Then it reports crashloop_app_error quoting the exception line
    assert categories(findings) == ["crashloop_app_error"]
    assert any("KeyError: 'DATABASE_URL'" in e.detail for e in findings[0].evidence)


@pytest.mark.parametrize(
    "code,reason,message",
    [
        (127, "Error", ""),
        (126, "Error", ""),
        (128, "StartError", 'exec: "/bin/serve": stat /bin/serve: no such file or directory: unknown'),
    ],
)
def test_command_not_found_or_not_executable_is_a_wrong_command(code, reason, message):
    # Given a container whose command cannot be executed
    status = cstatus(state=waiting("CrashLoopBackOff"), last=terminated(reason, code, 1, message), restarts=5)
    # When the container analyzer runs
    findings = container.analyze(snap(pods=[pod("checkout-6d5f7c9b8-a1", statuses=[status])]))
    # Then it is wrong_command_or_entrypoint, never an app crash
    assert categories(findings) == ["wrong_command_or_entrypoint"]


@pytest.mark.parametrize(
    "message,remediation",
    [
        ("failed to resolve reference: not found", "fix_image_reference"),
        ("failed to authorize: failed to fetch oauth token: 401 Unauthorized", "fix_image_pull_secret"),
    ],
)
def test_image_pull_failures_pick_the_fix_from_the_registry_answer(message, remediation):
    # Given a pod stuck in ImagePullBackOff with the kubelet's pull error as an event
    status = cstatus(state=waiting("ImagePullBackOff", "Back-off pulling image"), ready=False)
    snapshot = snap(
        pods=[pod("checkout-6d5f7c9b8-a1", statuses=[status])],
        events=[
            event(
                "shop", "Pod", "checkout-6d5f7c9b8-a1", "Failed", f'Failed to pull image "registry/app:1.0": {message}'
            )
        ],
    )
    # When the container analyzer runs
    findings = container.analyze(snapshot)
    # Then it is image_pull_error with the matching remediation
    assert categories(findings) == ["image_pull_error"]
    assert findings[0].remediations == [remediation]


def test_create_container_config_error_is_a_missing_reference():
    # Given a container that cannot be created because a Secret is missing
    status = cstatus(state=waiting("CreateContainerConfigError", 'secret "smtp" not found'), ready=False)
    # When the container analyzer runs
    findings = container.analyze(snap(pods=[pod("checkout-6d5f7c9b8-a1", statuses=[status])]))
    # Then it is missing_config_reference quoting the message
    assert categories(findings) == ["missing_config_reference"]
    assert 'secret "smtp" not found' in findings[0].evidence[0].detail


def test_failing_init_container_is_reported_as_such():
    # Given a pod whose init container keeps failing
    init = cstatus("migrate", state=waiting("CrashLoopBackOff"), last=terminated("Error", 1, 2), restarts=4)
    app = cstatus(state=waiting("PodInitializing"), ready=False)
    snapshot = snap(
        pods=[pod("checkout-6d5f7c9b8-a1", statuses=[app], init_statuses=[init], phase="Pending")],
        logs={"shop/checkout-6d5f7c9b8-a1/migrate#previous": 'ERROR: relation "x" already exists'},
    )
    # When the container analyzer runs
    findings = container.analyze(snapshot)
    # Then it is init_container_failure on the init container
    assert categories(findings) == ["init_container_failure"]
    assert findings[0].target["container"] == "migrate"


def test_replicas_with_the_same_fault_become_one_finding():
    # Given two replicas of one workload, both OOMKilled
    status = cstatus(state=running(1), last=terminated("OOMKilled", 137, 2), restarts=3)
    pods = [pod(f"checkout-6d5f7c9b8-a{i}", statuses=[status]) for i in range(2)]
    # When the container analyzer runs
    findings = container.analyze(snap(pods=pods))
    # Then one finding says two pods are affected
    assert len(findings) == 1 and "2 pods" in findings[0].summary


def test_an_init_container_that_cannot_pull_is_an_image_pull_error():
    # Given a pod in Init:ImagePullBackOff
    init = cstatus(
        "wait-for-db", state=waiting("ImagePullBackOff", 'Back-off pulling image "busybox:1.366"'), ready=False
    )
    app = cstatus(state=waiting("PodInitializing"), ready=False)
    snapshot = snap(pods=[pod("checkout-6d5f7c9b8-a1", statuses=[app], init_statuses=[init], phase="Pending")])
    # When the container analyzer runs
    # Then the pull is the fault, not a generic init failure
    assert categories(container.analyze(snapshot)) == ["image_pull_error"]


def test_run_as_non_root_refusal_is_a_security_context_problem():
    # Given a container the kubelet refuses to create because the image runs as root
    message = (
        'container has runAsNonRoot and image will run as root (pod: "checkout-6d5f7c9b8-a1_shop", container: app)'
    )
    status = cstatus(state=waiting("CreateContainerConfigError", message), ready=False)
    # When the container analyzer runs
    findings = container.analyze(snap(pods=[pod("checkout-6d5f7c9b8-a1", statuses=[status])]))
    # Then it is permission_denied with fix_security_context, not a missing reference
    assert categories(findings) == ["permission_denied"]
    assert findings[0].remediations == ["fix_security_context"]


def test_the_shells_last_words_reveal_a_missing_binary_whatever_the_exit_code():
    # Given a container exiting 1 whose last log line says the entrypoint binary does not exist
    status = cstatus(state=waiting("CrashLoopBackOff"), last=terminated("Error", 1, 1), restarts=6)
    snapshot = snap(
        pods=[pod("checkout-6d5f7c9b8-a1", statuses=[status])],
        logs={"shop/checkout-6d5f7c9b8-a1/app#previous": "exec /app/server: exec format error"},
    )
    # When the container analyzer runs
    # Then it is wrong_command_or_entrypoint
    assert categories(container.analyze(snapshot)) == ["wrong_command_or_entrypoint"]


def test_an_init_container_that_failed_once_then_completed_is_not_the_cause():
    # Given an init container that failed twice waiting for its database, then completed, and an app that crashes
    init = cstatus(
        "wait-db",
        state={"terminated": {"reason": "Completed", "exitCode": 0, "finishedAt": "2026-03-11T14:02:00Z"}},
        last=terminated("Error", 1, 22),
        restarts=2,
    )
    app = cstatus(state=waiting("CrashLoopBackOff"), last=terminated("Error", 1, 2), restarts=5)
    snapshot = snap(
        pods=[pod("checkout-6d5f7c9b8-a1", statuses=[app], init_statuses=[init], init_specs=[cspec("wait-db")])],
        logs={"shop/checkout-6d5f7c9b8-a1/app#previous": "Traceback (most recent call last):\nKeyError: 'PAYMENT_URL'"},
    )
    # When the container analyzer runs
    findings = container.analyze(snapshot)
    # Then the app's crash is reported, and the init container, which has since succeeded, is not blamed
    assert categories(findings) == ["crashloop_app_error"]
    assert findings[0].target["container"] == "app"


@pytest.mark.parametrize("reason,code", [("OOMKilled", 137), ("Error", 1)])
def test_a_job_pod_that_failed_a_day_ago_is_history_not_a_cause(reason, code):
    # Given a CronJob's pod left Failed 30 hours before the alert (failedJobsHistoryLimit keeps it), its log
    # ending in an error
    job_pod = pod(
        "nightly-report-29140865-x7k2p",
        statuses=[cstatus("report", state=terminated(reason, code, 60 * 30))],
        phase="Failed",
    )
    job_pod["metadata"]["ownerReferences"] = [{"kind": "Job", "name": "nightly-report-29140865", "controller": True}]
    snapshot = snap(
        pods=[job_pod],
        logs={"shop/nightly-report-29140865-x7k2p/report": "Traceback (most recent call last):\nValueError: bad row"},
        labels={"namespace": "shop"},
    )
    # When the container analyzer runs
    # Then the day-old failure is not reported as a current fault
    assert container.analyze(snapshot) == []


def test_a_job_pod_that_just_failed_is_still_reported():
    # Given a Job's pod that ran out of memory two minutes before the alert
    job_pod = pod("nightly-report-29140865-x7k2p", statuses=[cstatus("report", state=terminated("OOMKilled", 137, 2))])
    job_pod["metadata"]["ownerReferences"] = [{"kind": "Job", "name": "nightly-report-29140865", "controller": True}]
    # When the container analyzer runs
    findings = container.analyze(snap(pods=[job_pod], labels={"namespace": "shop"}))
    # Then it is oom_killed on the CronJob's workload
    assert categories(findings) == ["oom_killed"] and findings[0].target["workload"] == "nightly-report"


def test_a_restarting_native_sidecar_is_a_crash_in_a_running_pod_not_an_init_failure():
    # Given a running pod whose native sidecar (an init container with restartPolicy Always) crashed 5 min ago
    sidecar = cstatus("log-shipper", state=running(5), last=terminated("Error", 1, 5), restarts=3)
    snapshot = snap(
        pods=[
            pod(
                "checkout-6d5f7c9b8-a1",
                init_statuses=[sidecar],
                init_specs=[cspec("log-shipper", restartPolicy="Always")],
            )
        ],
        logs={"shop/checkout-6d5f7c9b8-a1/log-shipper#previous": "panic: runtime error: index out of range"},
    )
    # When the container analyzer runs
    findings = container.analyze(snapshot)
    # Then it is the sidecar's crash, not an init container keeping the pod from starting
    assert categories(findings) == ["crashloop_app_error"]
    assert findings[0].target["container"] == "log-shipper" and "never starts" not in findings[0].summary


def test_a_containers_finding_cites_its_own_events_not_a_sidecars():
    # Given an app container OOMKilled beside a sidecar that fails to pull its image, with the kubelet's
    # events naming each container by fieldPath (the sidecar's "Back-off" names no container in its text)
    statuses = [
        cstatus("api", state=waiting("CrashLoopBackOff"), last=terminated("OOMKilled", 137, 3), restarts=4),
        cstatus("log-shipper", state=waiting("ImagePullBackOff"), image="registry.example.com/shipper:9.9"),
    ]
    specs = [cspec("api", resources={"limits": {"memory": "256Mi"}}), cspec("log-shipper", image="shipper:9.9")]
    app_backoff = event("shop", "Pod", "checkout-6d5f7c9b8-a1", "BackOff", "Back-off restarting failed container")
    app_backoff["involvedObject"]["fieldPath"] = "spec.containers{api}"
    shipper_pull = event(
        "shop", "Pod", "checkout-6d5f7c9b8-a1", "Failed", 'Failed to pull image "shipper:9.9": not found'
    )
    shipper_pull["involvedObject"]["fieldPath"] = "spec.containers{log-shipper}"
    shipper_backoff = event("shop", "Pod", "checkout-6d5f7c9b8-a1", "BackOff", "Back-off pulling image")
    shipper_backoff["involvedObject"]["fieldPath"] = "spec.containers{log-shipper}"
    snapshot = snap(
        pods=[pod("checkout-6d5f7c9b8-a1", statuses=statuses, specs=specs)],
        events=[shipper_backoff, shipper_pull, app_backoff],
    )
    # When the container analyzer runs
    findings = {f.target["container"]: f for f in container.analyze(snapshot)}
    # Then each container's finding quotes its own events only
    assert findings["api"].category == "oom_killed"
    api_details = " ".join(e.detail for e in findings["api"].evidence)
    assert "Back-off restarting failed container" in api_details and "pulling image" not in api_details
    shipper_details = " ".join(e.detail for e in findings["log-shipper"].evidence)
    assert "restarting failed container" not in shipper_details
