--[[
  Records the delivery state of one webhook event in its prediction, unless the prediction
  is gone (past retention): a state written then would recreate the hash without a TTL.

  KEYS[1] prediction hash

  ARGV[1] event ('start' | 'completed')
  ARGV[2] delivery state, JSON (see DeliveryState in @alto/protocol)

  Returns 1 when stored, 0 when the prediction no longer exists.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'webhook_' .. ARGV[1], ARGV[2])
return 1
