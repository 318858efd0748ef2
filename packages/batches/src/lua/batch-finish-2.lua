--[[
  Ends a batch: its status (unless it was canceled, which it stays), finished_at and, for a
  failed batch, the error; the batch is then kept for the retention time and the lease freed.

  KEYS[1] the batch's meta hash
  KEYS[2] the batch's lease

  ARGV[1] token of the caller (must hold the lease)
  ARGV[2] status: succeeded or failed
  ARGV[3] finished_at (epoch ms)
  ARGV[4] retention (ms)
  ARGV[5] error JSON, or '' for none

  Returns (outcomes named as in ../scripts.ts)
    FINISHED  the batch's status after the call (succeeded, failed or canceled);
    LOST      the caller no longer holds the lease.
]]
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return 'LOST'
end
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'canceled' then
  status = ARGV[2]
  redis.call('HSET', KEYS[1], 'status', status)
end
redis.call('HSET', KEYS[1], 'finished_at', ARGV[3])
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[1], 'error', ARGV[5])
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('DEL', KEYS[2])
return {'FINISHED', status}
