--[[
  Records a prediction as one of its owner's, and drops the owner's ids older than the
  retention window: one command, where a MULTI of three cost the gateway more CPU than the
  enqueue itself.

  KEYS[1] the owner's sorted set of prediction ids

  ARGV[1] prediction id
  ARGV[2] created_at (epoch ms), the score
  ARGV[3] oldest created_at kept (epoch ms)
  ARGV[4] retention (ms), the set's time to live

  Returns (outcomes named as in scripts/owner-add.ts)
    ADDED  1 always.
]]
local ADDED = 1
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return ADDED
