--[[
  Records one input line as fed: its entry (the prediction it became, or the error that
  refused it) joins the pending lines and the cursor moves past it, in one step, so a feeder
  that dies between submitting a line and this call resubmits it (and its Idempotency-Key
  finds the same prediction), never skips it.

  KEYS[1] the batch's meta hash
  KEYS[2] the batch's pending hash (line -> entry JSON)
  KEYS[3] the batch's lease

  ARGV[1] token of the caller (must hold the lease)
  ARGV[2] line number (1-based line of the input)
  ARGV[3] entry JSON

  Returns (outcomes named as in ../scripts.ts)
    FED      recorded (or already recorded: the cursor was past the line);
    LOST     the caller no longer holds the lease;
    STOPPED  the batch is no longer running (canceled): nothing recorded.
]]
if redis.call('GET', KEYS[3]) ~= ARGV[1] then
  return 'LOST'
end
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then
  return 'STOPPED'
end
local line = tonumber(ARGV[2])
if line <= tonumber(redis.call('HGET', KEYS[1], 'fed') or '0') then
  return 'FED'
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[1], 'fed', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'submitted', 1)
return 'FED'
