--[[
  Gives the publisher leader lease up, if the caller holds it (a clean shutdown), so that a
  standby takes over at once instead of waiting for the lease to expire.

  KEYS[1] leader key

  ARGV[1] id of the publisher giving up

  Returns 1 when the lease was released, 0 when the caller did not hold it.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
