--[[
  Stores a prediction's outcome, acknowledges and deletes its stream entry, starts the
  retention clock and announces the completion to waiting gateways, atomically.
  Deleting acknowledged entries keeps the stream as long as the work outstanding; nothing
  unacknowledged is ever trimmed.

  KEYS[1] stream of the model
  KEYS[2] prediction hash
  KEYS[3] webhook outbox of the model

  ARGV[1]  consumer group
  ARGV[2]  stream entry id
  ARGV[3]  status ('succeeded' | 'failed' | 'canceled' | 'expired')
  ARGV[4]  completed_at (epoch ms)
  ARGV[5]  retention (ms)
  ARGV[6]  shared completions channel (for predictions waited for without a 'notify' field)
  ARGV[7]  prediction id
  ARGV[8]  encoded output tensors ('' when none)
  ARGV[9]  error code ('' when none)
  ARGV[10] error message
  ARGV[11] queue_ms
  ARGV[12] predict_ms
  ARGV[13] batch_size
  ARGV[14] consumer name (worker id)
  ARGV[15] most bytes of a notice that carries the record

  The completion notice goes to the gateways waiting for it (lib/notify.lua), none when
  nobody waits. It is the prediction id; when a gateway waits for it (field 'wait') and
  the record is at most ARGV[15] bytes, the id is followed by a newline and the record's
  fields, each field name and value as <length>:<bytes> — so the gateway answers without
  reading the record back (see notice.ts).

  Returns (outcomes named as in scripts/complete.ts)
    STORED     1 the outcome was stored;
    DISCARDED  0 the prediction was already terminal (or gone): the outcome was discarded;
    FENCED    -1 the entry is no longer this consumer's (another worker took it over after
               this one stalled): the outcome was discarded and the entry left to its new owner.

  Webhook events: 'completed' when the outcome is stored.
]]
-- uses lib/webhook-event.lua
-- uses lib/notify.lua
local STORED = 1
local DISCARDED = 0
local FENCED = -1
-- Fence: only the consumer that holds the entry may settle it.
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if #pending == 0 or pending[1][2] ~= ARGV[14] then
  return FENCED
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
local status = redis.call('HGET', KEYS[2], 'status')
if status ~= 'queued' and status ~= 'running' then
  return DISCARDED
end
redis.call('HSET', KEYS[2], 'completed_at', ARGV[4],
  'queue_ms', ARGV[11], 'predict_ms', ARGV[12], 'batch_size', ARGV[13])
local deadline = tonumber(redis.call('HGET', KEYS[2], 'deadline') or '0')
if deadline > 0 and tonumber(ARGV[4]) > deadline then
  -- Finished too late: the result is not kept.
  redis.call('HSET', KEYS[2], 'status', 'failed', 'err_code', 'deadline_exceeded',
    'err_msg', 'its deadline (timeout_ms) passed while it ran')
else
  redis.call('HSET', KEYS[2], 'status', ARGV[3])
  if ARGV[8] ~= '' then
    redis.call('HSET', KEYS[2], 'out', ARGV[8])
  end
  if ARGV[9] ~= '' then
    redis.call('HSET', KEYS[2], 'err_code', ARGV[9], 'err_msg', ARGV[10])
  end
end
-- Read, then deleted before the record is: the notice does not carry the channels.
local targets = notice_targets(KEYS[2])
redis.call('HDEL', KEYS[2], 'entry', 'notify')
redis.call('PEXPIRE', KEYS[2], ARGV[5])
webhook_event(KEYS[2], KEYS[3], ARGV[7], 'completed', ARGV[4])
local notice = ARGV[7]
if targets.waited then
  local fields = redis.call('HGETALL', KEYS[2])
  local size = 0
  for i = 1, #fields do
    size = size + #fields[i] + 12
  end
  if size <= tonumber(ARGV[15]) then
    local parts = {}
    for i = 1, #fields do
      parts[i] = #fields[i] .. ':' .. fields[i]
    end
    notice = ARGV[7] .. '\n' .. table.concat(parts)
  end
end
send_notice(targets, ARGV[6], notice)
return STORED
