// The test fleet runs each part as its own Redis ACL user (aclRules of @alto/queue), as
// `npm start` does, so every end-to-end test also proves its role has the rights it needs.
// A process gets its role's user for its ALTO_PREFIX on the plain single-node URL it was given;
// anything else (a cluster, rediss://, a URL with credentials, ALTO_TEST_REDIS_ACL=0) is left as is.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { aclRules, urlWithUser, type RedisRole } from '@alto/queue';

const made = new Set<string>();

/** The role an app runs as: a worker serving a fixed repository writes the catalog, as a publisher does. */
function roleOf(app: string, env: Record<string, string>): RedisRole | undefined {
  if (app === 'worker') return env.ALTO_MODEL_REPOSITORY ? 'publisher' : 'worker';
  return (['gateway', 'publisher', 'dispatcher'] as const).find((r) => r === app);
}

/** `env` with REDIS_URL naming the role's user (made on first use), where that applies. */
export function asRoleUser(app: string, env: Record<string, string>): Record<string, string> {
  const url = env.REDIS_URL;
  const role = roleOf(app, env);
  if (process.env.ALTO_TEST_REDIS_ACL === '0' || !role || !url) return env;
  if (env.ALTO_REDIS_CLUSTER === 'true' || env.ALTO_REDIS_CLUSTER === '1' || url.includes(',')) return env;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return env;
  }
  if (parsed.protocol !== 'redis:' || parsed.username || parsed.password) return env;
  const prefix = env.ALTO_PREFIX ?? 'alto';
  const username = `${prefix}-${role}`;
  const password = createHash('sha256').update(`alto-test:${username}`).digest('hex');
  const key = `${url}\n${username}`;
  if (!made.has(key)) {
    try {
      execFileSync(
        'redis-cli',
        ['-u', url, 'ACL', 'SETUSER', username, 'reset', 'on', `>${password}`, ...aclRules(role, prefix)],
        {
          stdio: 'pipe',
          timeout: 10_000,
        },
      );
    } catch {
      // Redis is not there (a test of that): the process meets it as it is.
      return env;
    }
    made.add(key);
  }
  return { ...env, REDIS_URL: urlWithUser(url, { username, password }) };
}
