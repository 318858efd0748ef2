// The fleet's own Redis gets one ACL user per role (aclRules of @alto/queue) with passwords
// made up for this run, and each process connects as its own: what a compromised part can do
// is what its role may. Users live in memory only: they are made again at every start.
import { randomBytes } from 'node:crypto';
import { REDIS_ROLES, connect, createAclUsers, urlWithUser, type RedisCredentials, type RedisRole } from '@alto/queue';

/** Each role's REDIS_URL, with its user and password. */
export async function fleetRedisUsers(redisUrl: string, prefix: string): Promise<Record<RedisRole, string>> {
  const creds = Object.fromEntries(
    REDIS_ROLES.map((role) => [role, { username: `${prefix}-${role}`, password: randomBytes(24).toString('hex') }]),
  ) as Record<RedisRole, RedisCredentials>;
  const admin = await connect(redisUrl, { name: 'alto-fleet' });
  try {
    await createAclUsers(admin, prefix, creds);
  } finally {
    admin.disconnect();
  }
  return Object.fromEntries(REDIS_ROLES.map((role) => [role, urlWithUser(redisUrl, creds[role])])) as Record<
    RedisRole,
    string
  >;
}
