--[[
  Records the delivery state of one webhook event in its prediction, unless the prediction
  is gone (past retention): a state written then would recreate the hash without a TTL.

  KEYS[1] prediction hash

  ARGV[1] event ('start' | 'completed')
  ARGV[2] delivery state, JSON (see DeliveryState in @alto/protocol)

  Returns (outcomes named as in scripts/webhook-delivery.ts)
    STORED  1 the state was stored;
    GONE    0 the prediction no longer exists: nothing written.
]]
local STORED = 1
local GONE = 0
if redis.call('EXISTS', KEYS[1]) == 0 then
  return GONE
end
redis.call('HSET', KEYS[1], 'webhook_' .. ARGV[1], ARGV[2])
return STORED
