// The launcher's use of the admin API: an admin token (from the environment, or generated
// once into .alto/admin-token for the CLI), and publishing the repository's models.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LocalStore } from '@alto/repository';
import type { Logger } from '@alto/telemetry';

export async function adminToken(fromEnv: string | undefined, file: string): Promise<{ value: string; generated: boolean }> {
  if (fromEnv) return { value: fromEnv, generated: false };
  const existing = await readFile(file, 'utf8').then((t) => t.trim(), () => '');
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

/** Publishes every model of the repository (one replica each); an already published one is left as it is. */
export async function publishRepository(publisherUrl: string, token: string, repository: string, log: Logger): Promise<string[]> {
  const store = new LocalStore(repository);
  const names = await store.models();
  for (const name of names) {
    const res = await fetch(`${publisherUrl}/v1/admin/models`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, uri: join(store.root, name) }),
    });
    if (res.status === 409) {
      log.info({ model: name }, 'already published');
      continue;
    }
    if (!res.ok) throw new Error(`publishing ${name}: ${res.status} ${await res.text()}`);
    log.info({ model: name, uri: join(store.root, name) }, 'published');
  }
  return names;
}
