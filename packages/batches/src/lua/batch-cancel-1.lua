--[[
  Cancels a batch: no line is fed after this (batch-feed-3 refuses); its feeder then cancels
  the predictions still outstanding and writes the shards of everything that ended.

  KEYS[1] the batch's meta hash

  ARGV[1] canceled_at (epoch ms)

  Returns (outcomes named as in ../scripts.ts)
    STATUS  the batch's status after the call ('canceled', or the terminal status it had);
    GONE    there is no such batch.
]]
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return 'GONE'
end
if status == 'queued' or status == 'running' then
  redis.call('HSET', KEYS[1], 'status', 'canceled', 'canceled_at', ARGV[1])
  status = 'canceled'
end
return {'STATUS', status}
