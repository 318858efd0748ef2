// Fault injection for the batch tests (docs/batches.md, "crashes"): with ALTO_FAILPOINT_BATCH
// set to `<step>:<n>`, the gateway SIGKILLs itself right after that step of the batch feeder —
// `submitted:<line>` (a line queued, the cursor not yet moved), `sealed:<shard>` (a shard's
// lines taken out of the pending set, its object not yet written) or `written:<shard>` (its
// object written, not yet recorded) — so a test can prove each crash is survived. Unset in
// production.
import type { FailStep } from '@alto/batches';

export const BATCH_FAILPOINT = /^(submitted|sealed|written):(\d+)$/;

export function batchFailpoint(setting: string | undefined): ((step: FailStep, n: number) => void) | undefined {
  const m = setting === undefined ? null : BATCH_FAILPOINT.exec(setting);
  if (!m) return undefined;
  const [, step, at] = m;
  return (s, n) => {
    if (s !== step || n !== Number(at)) return;
    process.stderr.write(`failpoint: the batch feeder dies after ${s} ${n} (ALTO_FAILPOINT_BATCH=${setting})\n`);
    process.kill(process.pid, 'SIGKILL');
  };
}
