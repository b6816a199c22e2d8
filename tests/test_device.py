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
