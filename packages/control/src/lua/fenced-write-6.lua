--[[
  Applies the leader's writes to control-plane hashes only while the writer still holds the
  lease, so a deposed leader (paused, partitioned) cannot overwrite its successor's state.
  Every hash it may write comes in KEYS (all under the `{control}` hash tag, with the leader
  key): a write names its hash by its index in KEYS.

  KEYS[1] leader key
  KEYS[2] model states (hash)
  KEYS[3] assignments (hash)
  KEYS[4] worker reports (hash)
  KEYS[5] catalog: models (hash)
  KEYS[6] catalog: model versions (hash)

  ARGV[1] writer id (the lease holder it believes it is)
  ARGV[2] JSON array of writes: ["hset", k, field, value] | ["hdel", k, field], where k is
          the index in KEYS (2..6) of the hash written
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
local writes = cjson.decode(ARGV[2])
-- Checked before anything is written: a script error after a write would keep that write.
for _, w in ipairs(writes) do
  if type(w[2]) ~= 'number' or w[2] < 2 or w[2] > #KEYS then
    return redis.error_reply('fenced write to KEYS[' .. tostring(w[2]) .. '], not a control hash')
  end
end
for _, w in ipairs(writes) do
  if w[1] == 'hset' then
    redis.call('HSET', KEYS[w[2]], w[3], w[4])
  elseif w[1] == 'hdel' then
    redis.call('HDEL', KEYS[w[2]], w[3])
  end
end
for _, m in ipairs(cjson.decode(ARGV[3])) do
  redis.call('PUBLISH', m[1], m[2])
end
return APPLIED
