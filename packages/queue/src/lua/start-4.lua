--[[
  Takes a delivered entry into a batch: moves its prediction to running, unless the entry
  is no longer this consumer's (fenced), its prediction is over, or it has been delivered
  too many times (poison: dead-lettered, the prediction fails with code 'poison').

  KEYS[1] stream of the model
  KEYS[2] dead-letter stream of the model
  KEYS[3] prediction hash
  KEYS[4] webhook outbox of the model

  ARGV[1] started_at (epoch ms)
  ARGV[2] consumer name (worker id)
  ARGV[3] consumer group
  ARGV[4] stream entry id
  ARGV[5] most deliveries allowed
  ARGV[6] retention (ms)
  ARGV[7] shared completions channel (for predictions waited for without a 'notify' field)
  ARGV[8] prediction id

  Returns (outcomes named as in scripts/start.ts)
    RUNNING  n >= 1 running now, on its n-th delivery: compute it (n > 1: an earlier
             delivery did not finish — its worker died or stalled — so the worker runs it
             on its own);
    TERMINAL  0 the prediction is already terminal (e.g. canceled): entry acknowledged, skip it;
    GONE     -1 no such prediction (past retention): entry acknowledged, skip it;
    FENCED   -2 the entry is not pending for this consumer (another took it over): skip it;
    POISON   -3 delivered more than ARGV[5] times: dead-lettered and failed as poison;
    EXPIRED  -4 past its deadline: settled (expired if it never started, else failed with
             'deadline_exceeded') and acknowledged, skip it.

  A dead-letter entry holds 'entry', 'deliveries' and 'dead_at', then the entry's own fields.

  Webhook events: 'start' when a queued prediction starts; 'completed' when it expires or
  is failed as poison here.
]]
-- uses lib/webhook-event.lua
-- uses lib/notify.lua
local TERMINAL = 0
local GONE = -1
local FENCED = -2
local POISON = -3
local EXPIRED = -4
local pending = redis.call('XPENDING', KEYS[1], ARGV[3], ARGV[4], ARGV[4], 1)
if #pending == 0 or pending[1][2] ~= ARGV[2] then
  return FENCED
end
-- The entry is done with: acknowledged and deleted.
local function drop_entry()
  redis.call('XACK', KEYS[1], ARGV[3], ARGV[4])
  redis.call('XDEL', KEYS[1], ARGV[4])
end
-- Ends the prediction here, without computing it: terminal state, retention clock,
-- completion notice and webhook event.
local function settle(state, code, message)
  redis.call('HSET', KEYS[3], 'status', state, 'completed_at', ARGV[1], 'err_code', code, 'err_msg', message)
  local targets = notice_targets(KEYS[3])
  redis.call('HDEL', KEYS[3], 'entry', 'notify')
  redis.call('PEXPIRE', KEYS[3], ARGV[6])
  send_notice(targets, ARGV[7], ARGV[8])
  webhook_event(KEYS[3], KEYS[4], ARGV[8], 'completed', ARGV[1])
end
local status = redis.call('HGET', KEYS[3], 'status')
if not status or (status ~= 'queued' and status ~= 'running') then
  drop_entry()
  if not status then
    return GONE
  end
  return TERMINAL
end
local deadline = tonumber(redis.call('HGET', KEYS[3], 'deadline') or '0')
if deadline > 0 and tonumber(ARGV[1]) > deadline then
  drop_entry()
  if status == 'queued' then
    settle('expired', 'deadline_exceeded', 'not started before its deadline (timeout_ms)')
  else
    settle('failed', 'deadline_exceeded',
      'its deadline (timeout_ms) passed while it ran; it was started again after a worker failure')
  end
  return EXPIRED
end
local deliveries = tonumber(pending[1][4])
if deliveries > tonumber(ARGV[5]) then
  local entry = redis.call('XRANGE', KEYS[1], ARGV[4], ARGV[4])
  if #entry > 0 then
    -- unpack() spreads the request's own fields only as the last argument.
    redis.call('XADD', KEYS[2], '*', 'entry', ARGV[4], 'deliveries', tostring(deliveries), 'dead_at', ARGV[1],
      unpack(entry[1][2]))
  end
  drop_entry()
  settle('failed', 'poison',
    'delivered ' .. deliveries .. ' times without finishing (workers crashed or stalled on it); moved to the dead-letter stream')
  return POISON
end
-- 'running' again means a redelivery after a worker died or stalled mid-batch;
-- 'attempts' counts the starts, so computations repeated by a redelivery can be counted.
redis.call('HSET', KEYS[3], 'status', 'running', 'started_at', ARGV[1], 'worker', ARGV[2])
redis.call('HINCRBY', KEYS[3], 'attempts', 1)
if status == 'queued' then
  webhook_event(KEYS[3], KEYS[4], ARGV[8], 'start', ARGV[1])
end
return deliveries
