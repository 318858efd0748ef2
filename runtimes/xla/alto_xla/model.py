"""One loaded model version: a `jax.export` artifact, its weights, and one executable per bucket.

Batches are padded up to the smallest bucket that holds them, so a model compiles exactly
once per bucket, all during `load`. Batching across requests is the worker's job, not this.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import jax
import numpy as np
from jax import export

from .errors import RuntimeFault
from .protocol import datatype_of

DEFAULT_BUCKETS = (1, 2, 4, 8, 16, 32)
MODEL_FILE = "model.jax"
PARAMS_FILES = ("params.safetensors", "params.npz")


@dataclass(frozen=True)
class TensorSpec:
    name: str
    datatype: str
    #: -1 marks the batch dimension (always dim 0).
    shape: tuple[int, ...]
    dtype: np.dtype

    def describe(self) -> dict:
        return {"name": self.name, "datatype": self.datatype, "shape": list(self.shape)}


class LoadedModel:
    """A model version ready to run: every bucket compiled, weights on the device."""

    def __init__(self, name: str, version: str, directory: Path, buckets: list[int] | None = None,
                 config: dict | None = None):
        self.name, self.version, self.directory = name, version, directory
        # Given by the caller (the worker's merged config), or read from beside the version.
        config = config if config is not None else read_config(directory)
        self.exported = _deserialize(directory / MODEL_FILE)
        self.params, self.weights = _read_params(directory)
        self.inputs, self.outputs, self._out_order = _signature(self.exported, config, self.params)
        self.buckets = normalize_buckets(buckets if buckets is not None else config.get("buckets", DEFAULT_BUCKETS))
        self.params_bytes = sum(int(a.nbytes) for a in (self.params or {}).values())
        self._device_params = jax.device_put(self.params) if self.params is not None else None
        self.compile_ms: dict[int, float] = {}
        self._executables: dict[int, jax.stages.Compiled] = {}
        self._peak_bytes = 0
        for bucket in self.buckets:
            self._compile(bucket)

    def _compile(self, bucket: int) -> None:
        structs = [jax.ShapeDtypeStruct((bucket, *spec.shape[1:]), spec.dtype) for spec in self.inputs]
        started = time.perf_counter()
        try:
            jitted = jax.jit(self.exported.call)
            lowered = jitted.lower(*self._leading(), *structs)
            compiled = lowered.compile()
        except Exception as e:  # noqa: BLE001 — JAX raises many types; the message matters
            raise RuntimeFault(
                "model_invalid",
                f"model '{self.name}' version {self.version}: bucket {bucket} does not compile "
                f"(export platforms {list(self.exported.platforms)}, device {jax.devices()[0].platform}): {e}",
            ) from None
        self.compile_ms[bucket] = round((time.perf_counter() - started) * 1000, 1)
        self._executables[bucket] = compiled
        self._peak_bytes = max(self._peak_bytes, _executable_bytes(compiled, self.params_bytes))
        # One zero batch per bucket, so a kernel that fails at run time fails the load instead.
        jax.block_until_ready(compiled(*self._leading(), *[np.zeros(s.shape, s.dtype) for s in structs]))

    def _leading(self) -> tuple:
        return () if self._device_params is None else (self._device_params,)

    def metadata(self) -> dict:
        return {
            "model": self.name,
            "version": self.version,
            "inputs": [s.describe() for s in self.inputs],
            "outputs": [s.describe() for s in self.outputs],
            "buckets": self.buckets,
            "max_batch_size": self.buckets[-1],
            "compile_ms": {str(b): ms for b, ms in self.compile_ms.items()},
            "weights": self.weights,
            "params_bytes": self.params_bytes,
            # Weights plus the largest bucket's arguments, outputs and scratch, from XLA's own
            # memory analysis; 0 for the scratch part where the backend does not report it.
            "memory_bytes": self.params_bytes + self._peak_bytes,
            "platforms": list(self.exported.platforms),
        }

    def run(self, tensors: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], list[int]]:
        """Outputs for a batch of any size, and the bucket each chunk ran in.

        Batches above the largest bucket run as several chunks of the largest bucket.
        """
        rows = self._check(tensors)
        arrays = [tensors[spec.name] for spec in self.inputs]
        largest = self.buckets[-1]
        parts: list[list[np.ndarray]] = []
        used: list[int] = []
        for start in range(0, rows, largest):
            chunk = [a[start : start + largest] for a in arrays]
            parts.append(self.run_padded(chunk))
            used.append(self.bucket_for(len(chunk[0])))
        if not parts:
            outs = [np.zeros((0, *spec.shape[1:]), spec.dtype) for spec in self.outputs]
        else:
            outs = [np.concatenate([p[i] for p in parts]) if len(parts) > 1 else parts[0][i] for i in range(len(self.outputs))]
        return {spec.name: out for spec, out in zip(self.outputs, outs)}, used

    def bucket_for(self, rows: int) -> int:
        return next(b for b in self.buckets if b >= rows)

    def run_padded(self, arrays: list[np.ndarray]) -> list[np.ndarray]:
        """One chunk (rows ≤ the largest bucket): pad to its bucket, run, drop the padding rows."""
        rows = len(arrays[0])
        bucket = self.bucket_for(rows)
        # Padding repeats the last real row rather than zeros: a row the model has already
        # seen cannot produce NaNs or overflow that a zero row might (log, division).
        padded = [a if rows == bucket else np.concatenate([a, np.repeat(a[-1:], bucket - rows, axis=0)]) for a in arrays]
        result = self._executables[bucket](*self._leading(), *padded)
        flat = jax.tree_util.tree_leaves(result)
        return [np.asarray(flat[i])[:rows] for i in self._out_order]

    def _check(self, tensors: dict[str, np.ndarray]) -> int:
        expected = [s.name for s in self.inputs]
        missing = [n for n in expected if n not in tensors]
        extra = [n for n in tensors if n not in expected]
        if missing or extra:
            raise RuntimeFault(
                "invalid_input",
                f"model '{self.name}' takes inputs {expected}, got {list(tensors)}"
                + (f" (missing {missing})" if missing else "") + (f" (unexpected {extra})" if extra else ""),
            )
        rows: int | None = None
        for spec in self.inputs:
            array = tensors[spec.name]
            got = datatype_of(array.dtype)
            if got != spec.datatype:
                raise RuntimeFault("invalid_input", f"input '{spec.name}': expected datatype {spec.datatype}, got {got}")
            shape = list(array.shape)
            if len(shape) != len(spec.shape) or any(e != -1 and e != g for e, g in zip(spec.shape, shape)):
                raise RuntimeFault("invalid_input", f"input '{spec.name}': expected shape {list(spec.shape)}, got {shape}")
            if rows is not None and shape[0] != rows:
                raise RuntimeFault("invalid_input", f"input '{spec.name}': batch dim {shape[0]} differs from {rows} of '{self.inputs[0].name}'")
            rows = shape[0]
        return rows or 0


def read_config(directory: Path) -> dict:
    """The model's config.json: it sits beside the version directories (models/<name>/config.json)."""
    path = directory.parent / "config.json"
    if not path.exists():
        return {}
    try:
        config = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise RuntimeFault("model_invalid", f"{path}: not JSON: {e}") from None
    if not isinstance(config, dict):
        raise RuntimeFault("model_invalid", f"{path}: must hold a JSON object")
    return config


def normalize_buckets(buckets: object) -> list[int]:
    if (
        not isinstance(buckets, (list, tuple))
        or not buckets
        or not all(isinstance(b, int) and not isinstance(b, bool) and b > 0 for b in buckets)
    ):
        raise RuntimeFault("model_invalid", f"buckets must be a non-empty list of positive integers, got {buckets!r}")
    return sorted(set(buckets))


def _deserialize(path: Path) -> export.Exported:
    if not path.is_file():
        raise RuntimeFault("model_invalid", f"{path}: no such file (a version directory holds {MODEL_FILE})")
    try:
        return export.deserialize(bytearray(path.read_bytes()))
    except Exception as e:  # noqa: BLE001 — flatbuffers and MLIR raise assorted types
        raise RuntimeFault("model_invalid", f"{path}: not a jax.export serialization readable by jax {jax.__version__}: {e}") from None


def _read_params(directory: Path) -> tuple[dict[str, np.ndarray] | None, str]:
    found = [directory / f for f in PARAMS_FILES if (directory / f).exists()]
    if len(found) > 1:
        raise RuntimeFault("model_invalid", f"{directory}: holds both {PARAMS_FILES[0]} and {PARAMS_FILES[1]}; keep one")
    if not found:
        return None, "embedded"
    path = found[0]
    try:
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as npz:
                params = {k: npz[k] for k in npz.files}
        else:
            from safetensors.numpy import load_file  # only needed for this weight format

            params = load_file(str(path))
    except Exception as e:  # noqa: BLE001
        raise RuntimeFault("model_invalid", f"{path}: cannot read weights: {e}") from None
    return params, path.name


def _signature(exp: export.Exported, config: dict, params: dict | None):
    """Input and output specs, checked against config.json, and the output leaf order."""
    args, kwargs = jax.tree_util.tree_unflatten(exp.in_tree, exp.in_avals)
    if kwargs:
        raise RuntimeFault("model_invalid", f"the export takes keyword arguments {list(kwargs)}; export a function of positional arguments")
    args = list(args)
    if params is not None:
        if not args or not isinstance(args[0], dict):
            raise RuntimeFault("model_invalid", "a params file is present but the export's first argument is not a dict of weights")
        _check_params(args.pop(0), params)
    names = [i["name"] if isinstance(i, dict) else None for i in config.get("inputs", [])]
    if len(names) != len(args) or not all(isinstance(n, str) for n in names):
        raise RuntimeFault("model_invalid", f"config.json 'inputs' must name the export's {len(args)} input(s) in order, got {names}")
    inputs = [_spec(n, a, f"input '{n}'") for n, a in zip(names, args)]

    out_leaves = list(range(exp.out_tree.num_leaves))
    tree = jax.tree_util.tree_unflatten(exp.out_tree, out_leaves)
    configured = [o["name"] for o in config.get("outputs", []) if isinstance(o, dict)]
    if isinstance(tree, dict) and all(isinstance(k, str) and isinstance(v, int) for k, v in tree.items()):
        order_names = configured or list(tree)
        if sorted(order_names) != sorted(tree):
            raise RuntimeFault("model_invalid", f"config.json 'outputs' {configured} differ from the export's outputs {sorted(tree)}")
        order = [tree[n] for n in order_names]
    else:
        if len(configured) != len(out_leaves):
            raise RuntimeFault("model_invalid", f"config.json 'outputs' must name the export's {len(out_leaves)} output(s) in order, got {configured}")
        order_names, order = configured, out_leaves
    outputs = [_spec(n, exp.out_avals[i], f"output '{n}'") for n, i in zip(order_names, order)]
    declared = {e.get("name"): e for e in config.get("inputs", []) + config.get("outputs", []) if isinstance(e, dict)}
    for spec in inputs + outputs:
        if spec.name in declared:
            _check_declared(spec, declared[spec.name])
    return inputs, outputs, order


def _spec(name: str, aval, what: str) -> TensorSpec:
    datatype = datatype_of(aval.dtype)
    if datatype is None:
        raise RuntimeFault("model_invalid", f"{what}: dtype {aval.dtype} is not one Alto carries")
    shape = aval.shape
    if not shape or isinstance(shape[0], int):
        raise RuntimeFault("model_invalid", f"{what}: dim 0 must be the symbolic batch dim (export with symbolic_shape(\"b, ...\")), got {shape}")
    if not all(isinstance(d, int) for d in shape[1:]):
        raise RuntimeFault("model_invalid", f"{what}: only dim 0 may be symbolic, got {shape}")
    return TensorSpec(name, datatype, (-1, *shape[1:]), np.dtype(aval.dtype))


def _check_declared(spec: TensorSpec, entry: dict) -> None:
    if "datatype" in entry and entry["datatype"] != spec.datatype:
        raise RuntimeFault("model_invalid", f"'{spec.name}': config.json says {entry['datatype']}, the export has {spec.datatype}")
    if "shape" in entry and list(entry["shape"]) != list(spec.shape):
        raise RuntimeFault("model_invalid", f"'{spec.name}': config.json says shape {entry['shape']}, the export has {list(spec.shape)}")


def _check_params(expected: dict, params: dict[str, np.ndarray]) -> None:
    if sorted(expected) != sorted(params):
        raise RuntimeFault("model_invalid", f"params file holds {sorted(params)}, the export takes {sorted(expected)}")
    for key, aval in expected.items():
        got = params[key]
        if tuple(got.shape) != tuple(aval.shape) or got.dtype != aval.dtype:
            raise RuntimeFault("model_invalid", f"param '{key}': export takes {aval.dtype}{list(aval.shape)}, file has {got.dtype}{list(got.shape)}")


def _executable_bytes(compiled, params_bytes: int) -> int:
    try:
        stats = compiled.memory_analysis()
    except Exception:  # noqa: BLE001 — not every PJRT plugin implements it
        return 0
    if stats is None:
        return 0
    # argument_size counts the weights too; they are added once by the caller.
    return max(0, stats.argument_size_in_bytes - params_bytes) + stats.output_size_in_bytes + stats.temp_size_in_bytes
