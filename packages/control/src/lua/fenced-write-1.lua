--[[
  Applies the leader's writes to control-plane hashes only while the writer still holds the
  lease, so a deposed leader (paused, partitioned) cannot overwrite its successor's state.
  Every key named in ARGV[2] shares the `{control}` hash tag with the leader key.

  KEYS[1] leader key

  ARGV[1] writer id (the lease holder it believes it is)
  ARGV[2] JSON array of writes: ["hset", key, field, value] | ["hdel", key, field]
  ARGV[3] JSON array of messages to publish afterwards: [channel, message]

  Returns (outcomes named as in lua.ts)
    APPLIED     1 the writes were applied and the messages published;
    NOT_LEADER  0 the writer does not hold the lease: nothing written.
]]
local APPLIED = 1
local NOT_LEADER = 0
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return NOT_LEADER
end
for _, w in ipairs(cjson.decode(ARGV[2])) do
  if w[1] == 'hset' then
    redis.call('HSET', w[2], w[3], w[4])
  elseif w[1] == 'hdel' then
    redis.call('HDEL', w[2], w[3])
  end
end
for _, m in ipairs(cjson.decode(ARGV[3])) do
  redis.call('PUBLISH', m[1], m[2])
end
return APPLIED
