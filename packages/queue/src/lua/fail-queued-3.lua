--[[
  Fails a prediction that has not started (e.g. its model was unpublished): a queued one
  becomes failed with the given code and its entry is deleted; any other is left alone (a
  running one finishes on its worker). A worker that already read the entry skips it, as
  start-3 finds the prediction terminal.

  KEYS[1] stream holding the entry
  KEYS[2] prediction hash
  KEYS[3] webhook outbox of the model

  ARGV[1] stream entry id
  ARGV[2] error code
  ARGV[3] error message
  ARGV[4] completed_at (epoch ms)
  ARGV[5] retention (ms)
  ARGV[6] completions channel
  ARGV[7] prediction id

  Returns 1 when the prediction was failed, 0 when it was not queued.

  Webhook events: 'completed' when it is failed here.
]]
-- ---- webhook: if the prediction subscribed to `event`, append it to the model's outbox and
-- mark its delivery pending, in the same step as the state change (see outbox.ts).
local function webhook_event(hash, outbox, id, event, at)
  local webhook = redis.call('HGET', hash, 'webhook')
  if not webhook then
    return
  end
  -- Never let a bad field fail the state change itself (writes before an error are kept).
  local ok, w = pcall(cjson.decode, webhook)
  if not ok or type(w) ~= 'table' or type(w.events) ~= 'table' then
    return
  end
  for _, e in ipairs(w.events) do
    if e == event then
      redis.call('XADD', outbox, '*', 'id', id, 'event', event, 'at', at)
      redis.call('HSET', hash, 'webhook_' .. event, '{"state":"pending","attempts":0}')
      return
    end
  end
end
-- ---- end webhook
if redis.call('HGET', KEYS[2], 'status') ~= 'queued' then
  return 0
end
redis.call('XDEL', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], 'status', 'failed', 'completed_at', ARGV[4], 'err_code', ARGV[2], 'err_msg', ARGV[3])
redis.call('HDEL', KEYS[2], 'entry')
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('PUBLISH', ARGV[6], ARGV[7])
webhook_event(KEYS[2], KEYS[3], ARGV[7], 'completed', ARGV[4])
return 1
