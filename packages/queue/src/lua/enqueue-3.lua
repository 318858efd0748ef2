--[[
  Records a new prediction as queued and appends its request to the model's stream, so a
  prediction never exists without its entry, nor an entry without its prediction.

  KEYS[1] stream of the model (or of the pinned version)
  KEYS[2] prediction hash
  KEYS[3] the model's unpublished marker

  ARGV[1] prediction id
  ARGV[2] model version to run
  ARGV[3] created_at (epoch ms)
  ARGV[4] response format ('json' | 'b64')
  ARGV[5] encoded input tensors (binary)
  ARGV[6] most requests outstanding (queued or running) for the model; 0 = no limit
  ARGV[7] deadline (epoch ms): not started by then = expired, not finished = failed; 0 = none
  ARGV[8] '1' when the request pins its version (KEYS[1] is that version's stream), else '0'
  ARGV[9] optional: the webhook, JSON {"url", "events", "origin"}; absent or '' = none

  Returns the stream entry id, or
    -1 when a prediction with this id already exists;
    -2 when the model already has ARGV[6] requests outstanding (nothing is written);
    -3 when the model has been unpublished (nothing is written).
]]
if redis.call('EXISTS', KEYS[3]) == 1 then
  return -3
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return -1
end
-- The stream holds exactly the outstanding requests: entries are deleted when settled.
local limit = tonumber(ARGV[6])
if limit > 0 and redis.call('XLEN', KEYS[1]) >= limit then
  return -2
end
local entry = redis.call('XADD', KEYS[1], '*', 'id', ARGV[1], 'v', ARGV[2], 't', ARGV[3], 'in', ARGV[5])
redis.call('HSET', KEYS[2],
  'status', 'queued', 'version', ARGV[2], 'created_at', ARGV[3], 'fmt', ARGV[4], 'entry', entry)
if ARGV[8] == '1' then
  redis.call('HSET', KEYS[2], 'pin', '1')
end
if ARGV[7] ~= '0' then
  redis.call('HSET', KEYS[2], 'deadline', ARGV[7])
end
if ARGV[9] and ARGV[9] ~= '' then
  redis.call('HSET', KEYS[2], 'webhook', ARGV[9])
end
return entry
