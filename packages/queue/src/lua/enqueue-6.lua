--[[
  Records a new prediction as queued and appends its request to the model's stream, so a
  prediction never exists without its entry, nor an entry without its prediction. With an
  idempotency key, a second request with the same key gets the first prediction back
  instead, in the same atomic step: two concurrent identical requests create one prediction.

  KEYS[1] stream of the model (or of the pinned version) for the request's priority
  KEYS[2] prediction hash
  KEYS[3] the model's unpublished marker
  KEYS[4] idempotency key (hash {id, body}) when ARGV[11] is not ''; otherwise unused
  KEYS[5] the same target's stream of another priority (counted for ARGV[6])
  KEYS[6] the same target's stream of the third priority (counted for ARGV[6])

  ARGV[1] prediction id
  ARGV[2] model version to run
  ARGV[3] created_at (epoch ms)
  ARGV[4] response format ('json' | 'b64')
  ARGV[5] encoded input tensors (binary)
  ARGV[6] most requests outstanding (queued or running) for the model; 0 = no limit
  ARGV[7] deadline (epoch ms): not started by then = expired, not finished = failed; 0 = none
  ARGV[8] '1' when the request pins its version (KEYS[1] is that version's stream), else '0'
  ARGV[9] the webhook, JSON {"url", "events", "origin"}; '' = none
  ARGV[10] owner: fingerprint of the API key that submitted it ('anonymous' without keys)
  ARGV[11] hash of the request (body, model, version) when it has an idempotency key; '' = none
  ARGV[12] how long the idempotency key is kept (ms)
  ARGV[13] priority ('high' | 'normal' | 'low'), stored so cancel finds the entry's stream
  ARGV[14] the channel of the gateway that waits for the outcome (Prefer: wait), '' when none:
           the completion notice goes there and carries the record (see lib/notify.lua and
           complete-3.lua)
  ARGV[15] trace context: W3C traceparent the worker continues ('' = none); kept in the
           entry (always, '' included) and in the prediction (when not '')
  ARGV[16] who its usage counts against: a managed API key's id, 'bootstrap' or 'anonymous'
           (kept in the entry as 'k', for the worker's per-key usage)

  Returns (outcomes named as in scripts/enqueue.ts)
    QUEUED      the stream entry id;
    REPEATED    {id} (a one-element array) when KEYS[4] already holds a prediction of the
                same request: that prediction's id (nothing is written);
    EXISTS      -1 a prediction with this id already exists;
    QUEUE_FULL  -2 the model already has ARGV[6] requests outstanding, all priorities
                together (nothing is written);
    UNPUBLISHED -3 the model has been unpublished (nothing is written);
    KEY_REUSED  -4 KEYS[4] holds a prediction of a different request (nothing is written).
]]
local EXISTS = -1
local QUEUE_FULL = -2
local UNPUBLISHED = -3
local KEY_REUSED = -4
if ARGV[11] ~= '' then
  local seen = redis.call('HMGET', KEYS[4], 'id', 'body')
  if seen[1] then
    if seen[2] ~= ARGV[11] then
      return KEY_REUSED
    end
    return { seen[1] }
  end
end
if redis.call('EXISTS', KEYS[3]) == 1 then
  return UNPUBLISHED
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return EXISTS
end
-- The stream holds exactly the outstanding requests: entries are deleted when settled.
local limit = tonumber(ARGV[6])
if limit > 0 and redis.call('XLEN', KEYS[1]) + redis.call('XLEN', KEYS[5]) + redis.call('XLEN', KEYS[6]) >= limit then
  return QUEUE_FULL
end
local entry = redis.call('XADD', KEYS[1], '*', 'id', ARGV[1], 'v', ARGV[2], 't', ARGV[3], 'in', ARGV[5],
  'tp', ARGV[15], 'k', ARGV[16])
redis.call('HSET', KEYS[2],
  'status', 'queued', 'version', ARGV[2], 'created_at', ARGV[3], 'fmt', ARGV[4], 'entry', entry, 'owner', ARGV[10])
if ARGV[8] == '1' then
  redis.call('HSET', KEYS[2], 'pin', '1')
end
if ARGV[7] ~= '0' then
  redis.call('HSET', KEYS[2], 'deadline', ARGV[7])
end
if ARGV[13] ~= 'normal' then
  redis.call('HSET', KEYS[2], 'prio', ARGV[13])
end
if ARGV[9] ~= '' then
  redis.call('HSET', KEYS[2], 'webhook', ARGV[9])
end
if ARGV[14] ~= '' then
  redis.call('HSET', KEYS[2], 'wait', '1', 'notify', ARGV[14])
end
-- trace context
if ARGV[15] ~= '' then
  redis.call('HSET', KEYS[2], 'tp', ARGV[15])
end
if ARGV[11] ~= '' then
  redis.call('HSET', KEYS[4], 'id', ARGV[1], 'body', ARGV[11])
  redis.call('PEXPIRE', KEYS[4], ARGV[12])
end
return entry
