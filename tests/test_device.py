"""The machine: CPU model and features from /proc/cpuinfo, and the device."""

from __future__ import annotations

import pytest

from tf_style.device import cpu_name, cpu_supports_bfloat16, describe_device


@pytest.mark.parametrize(
    "flags, expected",
    [
        ("fpu sse avx2 avx512f avx512_bf16", True),
        ("fpu sse avx2 amx_bf16 amx_tile", True),
        ("fpu sse avx2 fma", False),
    ],
)
def test_cpu_supports_bfloat16_reads_the_flags(tmp_path, flags, expected):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
    assert cpu_supports_bfloat16(cpuinfo) is expected


def test_no_cpuinfo_means_no_bfloat16(tmp_path):
    assert cpu_supports_bfloat16(tmp_path / "missing") is False


def test_cpu_name_is_the_model_name_line(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Example CPU @ 2.0GHz\n")
    assert cpu_name(cpuinfo) == "Example CPU @ 2.0GHz"


def test_describe_device_names_cpu_or_gpu():
    assert describe_device().startswith(("CPU: ", "GPU: "))


@pytest.fixture
def probe(monkeypatch):
    """``fastest_precision`` with made-up convolution times (and a fresh cache)."""
    from tf_style import device

    def use(seconds: dict[str, float] | Exception) -> str:
        def convolution_seconds(dtype: str) -> float:
            if isinstance(seconds, Exception):
                raise seconds
            return seconds[dtype]

        monkeypatch.setattr(device, "convolution_seconds", convolution_seconds)
        device.fastest_precision.cache_clear()
        return device.fastest_precision()

    yield use
    device.fastest_precision.cache_clear()


@pytest.mark.parametrize(
    "seconds, expected",
    [
        ({"float32": 8.0, "bfloat16": 1.0}, "bfloat16"),  # AMX: 8x faster
        ({"float32": 2.0, "bfloat16": 1.0}, "bfloat16"),  # exactly the margin
        ({"float32": 1.5, "bfloat16": 1.0}, "float32"),  # faster, not by enough
        ({"float32": 1.0, "bfloat16": 1.5}, "float32"),  # emulated: slower
    ],
)
def test_fastest_precision_is_bfloat16_only_where_it_pays(probe, seconds, expected):
    assert probe(seconds) == expected


def test_fastest_precision_is_float32_where_bfloat16_cannot_run(probe):
    assert probe(RuntimeError("no bfloat16 Conv2D kernel")) == "float32"


def test_convolution_probe_times_real_convolutions():
    from tf_style.device import convolution_seconds

    for dtype in ("float32", "bfloat16"):
        seconds = convolution_seconds(dtype, repeats=1)
        assert 0 < seconds < 10, dtype
