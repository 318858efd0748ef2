--[[
  Shared by the scripts that end a prediction (spliced in where a script says
  `-- uses lib/notify.lua`; see lua-script.ts).

  Completion notices go only to the gateways waiting for the prediction: each waiting
  gateway's channel is in the hash's 'notify' field (newline-separated; a channel of a gateway
  and of the prediction's model, so it shares the model's hash tag and slot), published with
  SPUBLISH, which stays on the shard holding the slot. A prediction accepted before gateways
  named their channels has no 'notify' field: when a gateway waits for it ('wait' is '1') its
  notice goes, as it did then, to the shared channel every such gateway subscribes to.

  notice_targets(hash): who waits, read in one call: {channels = the 'notify' field or false,
  waited = true when 'wait' is '1'}. The caller deletes 'notify' (the prediction is ending:
  nobody waits on it again) in the HDEL it makes anyway.
  send_notice(targets, shared, notice): publishes `notice` to the channels, or to the shared
  channel `shared` for a prediction waited for without channels; else nowhere.
]]
local function notice_targets(hash)
  local f = redis.call('HMGET', hash, 'notify', 'wait')
  return { channels = f[1], waited = f[2] == '1' }
end

local function send_notice(targets, shared, notice)
  if targets.channels then
    for channel in string.gmatch(targets.channels, '[^\n]+') do
      redis.call('SPUBLISH', channel, notice)
    end
  elseif targets.waited then
    redis.call('PUBLISH', shared, notice)
  end
end
