"""What accelerators this runtime sees: platform, device model, count and memory per device.

Memory comes from PJRT's `memory_stats()` where the plugin reports it (GPU, TPU) and from the
host's physical memory for CPU devices, which share it.
"""

from __future__ import annotations

import os
import platform

import jax


def describe_devices() -> dict:
    devices = jax.devices()
    kind = devices[0].platform  # "cpu", "gpu" or "tpu"
    described = []
    for device in devices:
        memory, source = _device_memory(device)
        described.append({
            "id": device.id,
            "kind": device.platform,
            "model": _cpu_model() if device.platform == "cpu" else device.device_kind,
            "memory_bytes": memory,
            "memory_source": source,
        })
    return {
        "kind": kind,
        "model": described[0]["model"],
        "count": len(devices),
        "memory_bytes_per_device": described[0]["memory_bytes"],
        "devices": described,
        "jax_version": jax.__version__,
        "platform_version": _platform_version(),
    }


def _device_memory(device) -> tuple[int | None, str]:
    try:
        stats = device.memory_stats()
    except Exception:  # noqa: BLE001 — some plugins raise instead of returning None
        stats = None
    if stats and stats.get("bytes_limit"):
        return int(stats["bytes_limit"]), "pjrt"
    if device.platform == "cpu":
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"), "host"
    return None, "unknown"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _platform_version() -> str | None:
    try:
        return jax.devices()[0].client.platform_version
    except Exception:  # noqa: BLE001
        return None
