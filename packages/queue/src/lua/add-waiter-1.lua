--[[
  Adds a waiting gateway's channel to a prediction's completion notices: for a gateway that
  waits for a prediction another request created (a repeated Idempotency-Key), so the notice
  reaches it too (see lib/notify.lua). A terminal prediction is left as it is.

  KEYS[1] prediction hash

  ARGV[1] the gateway's channel (of the prediction's model: it shares the model's slot)

  Returns (outcomes named as in scripts/add-waiter.ts)
    STATUS  the prediction's status: the channel was added when it is 'queued' or 'running';
    GONE    false: there is no such prediction.
]]
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return false
end
if status ~= 'queued' and status ~= 'running' then
  return status
end
local targets = redis.call('HGET', KEYS[1], 'notify')
if not targets then
  targets = ARGV[1]
elseif not string.find('\n' .. targets .. '\n', '\n' .. ARGV[1] .. '\n', 1, true) then
  targets = targets .. '\n' .. ARGV[1]
end
redis.call('HSET', KEYS[1], 'wait', '1', 'notify', targets)
return status
