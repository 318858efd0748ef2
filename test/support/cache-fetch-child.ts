// A second process fetching through CheckpointCache, for the cross-process single-flight test.
// argv: cacheDir baseUri gcsEndpoint releaseFile. Prints one JSON line per cache event; its
// download waits until releaseFile exists, so the parent can hold it while the other process
// tries the same key.
import { existsSync } from 'node:fs';
import { CheckpointCache, openSource, type CheckpointSource } from '@alto/repository';
import { waitFor } from './wait.ts';

const [dir, uri, endpoint, releaseFile] = process.argv.slice(2) as [string, string, string, string];
const say = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');

const inner = openSource(uri, { gcsEndpoint: endpoint });
const gated: CheckpointSource = {
  uri: inner.uri,
  versions: () => inner.versions(),
  config: (v) => inner.config(v),
  directPath: (v) => inner.directPath(v),
  async download(v, dest, onProgress) {
    await waitFor(() => existsSync(releaseFile), { timeoutMs: 60_000, what: releaseFile });
    await inner.download(v, dest, onProgress);
  },
};
const cache = new CheckpointCache(dir, { pollMs: 20, onEvent: (e) => say({ event: e.type, key: e.key }) });
const [v] = await gated.versions();
const path = await cache.fetch(gated, v!);
say({ event: 'done', path });
