--[[
  Admits one request of a managed API key: its queued-predictions limit, then its token
  bucket (requests per second with a burst), and records when the key was last used. One
  key's keys share its own hash tag, so every gateway of a cluster runs this on one slot.
  The time is the server's (TIME): gateways' clocks do not matter.

  KEYS[1] the key's bucket: hash {tokens, ts (ms), last_used (ms)}
  KEYS[2] the key's outstanding predictions: sorted set of ids scored by when they stop counting (ms)

  ARGV[1] requests per second refilled; 0 = no rate limit
  ARGV[2] bucket size (burst), at least 1
  ARGV[3] most predictions outstanding (queued or running); 0 = no limit
  ARGV[4] the prediction id to count as outstanding
  ARGV[5] how long an id counts at most (ms), should nothing release it

  Returns (outcomes named as in scripts/key-admit.ts)
    ADMITTED      0 the id is counted and a token taken;
    QUEUE_LIMIT  -1 ARGV[3] predictions are outstanding (nothing is taken);
    RATE_LIMITED  {ms} (a one-element array) the bucket is empty: a token is back in ms.
]]
local ADMITTED = 0
local QUEUE_LIMIT = -1
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local maxQueued = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'last_used', now)
redis.call('PEXPIRE', KEYS[1], 2592000000)
if maxQueued > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= maxQueued then
    return QUEUE_LIMIT
  end
end
if rate > 0 then
  local h = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
  local tokens = tonumber(h[1]) or burst
  local ts = tonumber(h[2]) or now
  if now > ts then
    tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
  end
  if tokens < 1 then
    redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
    return { math.ceil((1 - tokens) * 1000 / rate) }
  end
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - 1), 'ts', now)
end
if maxQueued > 0 then
  local until_ = now + tonumber(ARGV[5])
  redis.call('ZADD', KEYS[2], until_, ARGV[4])
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
end
return ADMITTED
