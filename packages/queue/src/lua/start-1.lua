--[[
  Moves a queued prediction to running when a worker takes it into a batch.

  KEYS[1] prediction hash

  ARGV[1] started_at (epoch ms)
  ARGV[2] worker id

  Returns
     1 the prediction is now running: compute it;
     0 it is not queued (already terminal, e.g. canceled): do not compute it;
    -1 no such prediction (expired from retention): do not compute it.
]]
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return -1
end
if status == 'queued' or status == 'running' then
  -- 'running' again means a redelivery after a worker died mid-batch.
  redis.call('HSET', KEYS[1], 'status', 'running', 'started_at', ARGV[1], 'worker', ARGV[2])
  return 1
end
return 0
