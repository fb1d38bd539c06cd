from __future__ import annotations

from pinnace.gateway import metrics


def test_counts_and_buckets() -> None:
    meter = metrics.Metrics()
    meter.observe("team/nb/http[0]", 200, 0.001)
    meter.observe("team/nb/http[0]", 200, 0.02)
    meter.observe("team/nb/http[0]", 503, 100.0)
    text, content_type = meter.render()
    lines = set(text.decode().splitlines())
    assert content_type.startswith(b"text/plain")
    assert {
        'pinnace_gateway_requests_total{code="200",route="team/nb/http[0]"} 2.0',
        'pinnace_gateway_requests_total{code="503",route="team/nb/http[0]"} 1.0',
        'pinnace_gateway_request_duration_seconds_bucket{le="0.001",route="team/nb/http[0]"} 1.0',
        'pinnace_gateway_request_duration_seconds_bucket{le="0.01",route="team/nb/http[0]"} 1.0',
        'pinnace_gateway_request_duration_seconds_bucket{le="0.025",route="team/nb/http[0]"} 2.0',
        'pinnace_gateway_request_duration_seconds_bucket{le="60.0",route="team/nb/http[0]"} 2.0',
        'pinnace_gateway_request_duration_seconds_bucket{le="+Inf",route="team/nb/http[0]"} 3.0',
        'pinnace_gateway_request_duration_seconds_count{route="team/nb/http[0]"} 3.0',
    } <= lines


def test_gateways_do_not_share_registries() -> None:
    one, two = metrics.Metrics(), metrics.Metrics()
    one.observe("r", 200, 0.1)
    assert b'route="r"' in one.render()[0]
    assert b'route="r"' not in two.render()[0]
