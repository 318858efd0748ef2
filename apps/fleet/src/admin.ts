// The launcher's admin plumbing: an admin token (from the environment, or generated once
// into .alto/admin-token for the CLI), and waiting for the publisher to lead. The publisher
// itself publishes the repository's models (ALTO_PUBLISH_ON_START).
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function adminToken(
  fromEnv: string | undefined,
  file: string,
): Promise<{ value: string; generated: boolean }> {
  if (fromEnv) return { value: fromEnv, generated: false };
  const existing = await readFile(file, 'utf8').then(
    (t) => t.trim(),
    () => '',
  );
  if (existing.length >= 16) return { value: existing, generated: true };
  const value = randomBytes(24).toString('base64url');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${value}\n`, { mode: 0o600 });
  return { value, generated: true };
}

export async function waitLeader(publisherUrl: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const leader = await fetch(`${publisherUrl}/healthz`)
      .then(async (r) => ((await r.json()) as { leader?: boolean }).leader === true)
      .catch(() => false);
    if (leader) return;
    if (Date.now() > deadline) throw new Error(`the publisher did not lead within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
