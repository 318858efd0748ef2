// A set-up script `npm start` runs in the background (the XLA runtime install, the minilm
// build): its stderr lines go to the fleet's log, its stdout's last line is its answer, and
// stopping the fleet stops it with its whole process group (pip and its children).
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '@alto/telemetry';

export interface SetupScript {
  /** How it ended: the last line of stdout when it exited 0, else the last stderr line as the reason. */
  done: Promise<{ ok: true; out: string } | { ok: false; reason: string; stopped: boolean }>;
  /** Stops it (SIGTERM to its process group) if it still runs. */
  stop(): void;
}

/**
 * Runs `bash <root><script>` in its own process group. Each stderr line is logged as
 * `{line}` with `message`, after dropping `linePrefix` from it.
 */
export function runSetupScript(
  root: string,
  script: string,
  o: { log: Logger; message: string; linePrefix: string },
): SetupScript {
  const child: ChildProcess = spawn('bash', [`${root}${script}`], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let last = '';
  let out = '';
  child.stderr?.on('data', (b: Buffer) => {
    for (const line of b.toString().split('\n')) {
      if (!line.trim()) continue;
      last = line.startsWith(o.linePrefix) ? line.slice(o.linePrefix.length) : line;
      o.log.info({ line: last }, o.message);
    }
  });
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  const done: SetupScript['done'] = new Promise((resolve) => {
    child.once('error', (err) => resolve({ ok: false, reason: err.message, stopped: false }));
    child.once('exit', (code, signal) => {
      if (code === 0) resolve({ ok: true, out: out.trim().split('\n').pop() ?? '' });
      else resolve({ ok: false, reason: last, stopped: signal !== null });
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
