--[[
  Gives the publisher leader lease up, if the caller holds it (a clean shutdown), so that a
  standby takes over at once instead of waiting for the lease to expire.

  KEYS[1] leader key

  ARGV[1] id of the publisher giving up

  Returns (outcomes named as in lua.ts)
    RELEASED  1 the lease was released;
    NOT_HELD  0 the caller did not hold it.
]]
local RELEASED = 1
local NOT_HELD = 0
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return RELEASED
end
return NOT_HELD
