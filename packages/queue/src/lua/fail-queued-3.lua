--[[
  Fails a prediction that has not started (e.g. its model was unpublished): a queued one
  becomes failed with the given code and its entry is deleted; any other is left alone (a
  running one finishes on its worker). A worker that already read the entry skips it, as
  start-4 finds the prediction terminal.

  KEYS[1] stream holding the entry
  KEYS[2] prediction hash
  KEYS[3] webhook outbox of the model

  ARGV[1] stream entry id
  ARGV[2] error code
  ARGV[3] error message
  ARGV[4] completed_at (epoch ms)
  ARGV[5] retention (ms)
  ARGV[6] shared completions channel (for predictions waited for without a 'notify' field)
  ARGV[7] prediction id

  Returns (outcomes named as in scripts/fail-queued.ts)
    FAILED      1 the prediction was failed;
    NOT_QUEUED  0 it was not queued: left alone.

  Webhook events: 'completed' when it is failed here.
  Completion notice (lib/notify.lua): when it is failed here.
]]
-- uses lib/webhook-event.lua
-- uses lib/notify.lua
local FAILED = 1
local NOT_QUEUED = 0
if redis.call('HGET', KEYS[2], 'status') ~= 'queued' then
  return NOT_QUEUED
end
redis.call('XDEL', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], 'status', 'failed', 'completed_at', ARGV[4], 'err_code', ARGV[2], 'err_msg', ARGV[3])
local targets = notice_targets(KEYS[2])
redis.call('HDEL', KEYS[2], 'entry', 'notify')
redis.call('PEXPIRE', KEYS[2], ARGV[5])
send_notice(targets, ARGV[6], ARGV[7])
webhook_event(KEYS[2], KEYS[3], ARGV[7], 'completed', ARGV[4])
return FAILED
