// Fault injection for the chaos suite (docs/reliability.md, "poison-crash"): with
// ALTO_FAILPOINT_CRASH_ON set, a batch holding a request whose first input tensor begins with
// that value kills the worker process outright — SIGKILL, as the kernel's OOM killer or a
// native crash inside onnxruntime would — 100 ms into its inference, which never finishes. No
// demo model has an input that crashes onnxruntime itself, so the suite needs this to
// prove that such a request is dead-lettered and takes nobody else down. Unset in production.
import type { Datatype, Tensor } from '@alto/protocol';
import type { Entry } from '@alto/queue';

const FIRST: Partial<Record<Datatype, (v: DataView) => number>> = {
  FP32: (v) => v.getFloat32(0, true),
  FP64: (v) => v.getFloat64(0, true),
  INT8: (v) => v.getInt8(0),
  UINT8: (v) => v.getUint8(0),
  INT16: (v) => v.getInt16(0, true),
  INT32: (v) => v.getInt32(0, true),
  INT64: (v) => Number(v.getBigInt64(0, true)),
};

function firstValue(t: Tensor): number | undefined {
  const read = FIRST[t.datatype];
  if (!read || t.data.byteLength === 0) return undefined;
  return read(new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

const CRASH_AFTER_MS = 100;

/**
 * A check run as each inference starts; undefined when no failpoint is set. For a hit it
 * returns a promise that never settles: the process dies first.
 */
export function crashOn(value: number | undefined): ((group: Entry[]) => Promise<void> | undefined) | undefined {
  if (value === undefined) return undefined;
  return (group) => {
    const hit = group.find((e) => {
      const first = e.inputs.values().next().value;
      return first !== undefined && firstValue(first) === value;
    });
    if (hit) {
      process.stderr.write(
        `failpoint: prediction ${hit.predictionId} kills this worker (ALTO_FAILPOINT_CRASH_ON=${value})\n`,
      );
      return new Promise(() => setTimeout(() => process.kill(process.pid, 'SIGKILL'), CRASH_AFTER_MS));
    }
    return undefined;
  };
}
