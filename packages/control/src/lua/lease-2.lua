--[[
  Takes or renews the publisher leader lease. A new leader gets a new epoch; a renewal keeps
  it. Nobody else can take the lease before it expires.

  KEYS[1] leader key (holds the leader's id, with a TTL)
  KEYS[2] epoch counter

  ARGV[1] candidate id
  ARGV[2] lease time (ms)

  Returns (outcomes named as in lua.ts)
    LEADS            the epoch (>= 1) the candidate leads in after the call;
    HELD_BY_ANOTHER  0 another candidate holds the lease.
]]
local HELD_BY_ANOTHER = 0
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(redis.call('GET', KEYS[2]) or '0')
end
if holder then
  return HELD_BY_ANOTHER
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return redis.call('INCR', KEYS[2])
