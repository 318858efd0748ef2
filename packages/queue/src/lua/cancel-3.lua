--[[
  Cancels a prediction. A queued one never runs: its entry is deleted (a worker that already
  read it skips it). A running one is marked canceled; the worker's result is discarded when
  it arrives (complete-3 stores nothing for a terminal prediction). A terminal one is left
  as it is.

  KEYS[1] stream of the model
  KEYS[2] prediction hash
  KEYS[3] webhook outbox of the model

  ARGV[1] completed_at (epoch ms)
  ARGV[2] retention (ms)
  ARGV[3] shared completions channel (for predictions waited for without a 'notify' field)
  ARGV[4] prediction id

  Returns (outcomes named as in scripts/cancel.ts)
    STATUS  the prediction's status after the call ('canceled', or the terminal status it had);
    GONE    false: there is no such prediction.

  Webhook events: 'completed' when it is canceled here.
  Completion notice (lib/notify.lua): when it is canceled here.
]]
-- uses lib/webhook-event.lua
-- uses lib/notify.lua
local status = redis.call('HGET', KEYS[2], 'status')
if not status then
  return false
end
if status ~= 'queued' and status ~= 'running' then
  return status
end
if status == 'queued' then
  local entry = redis.call('HGET', KEYS[2], 'entry')
  if entry then
    redis.call('XDEL', KEYS[1], entry)
  end
end
local targets = notice_targets(KEYS[2])
redis.call('HSET', KEYS[2], 'status', 'canceled', 'completed_at', ARGV[1])
if targets.channels then
  redis.call('HDEL', KEYS[2], 'notify')
end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
send_notice(targets, ARGV[3], ARGV[4])
webhook_event(KEYS[2], KEYS[3], ARGV[4], 'completed', ARGV[1])
return 'canceled'
