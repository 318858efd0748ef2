--[[
  Shared by the scripts that end a prediction (spliced in where a script says
  `-- uses lib/notify.lua`; see lua-script.ts).

  Completion notices go only to the gateways waiting for the prediction: each waiting
  gateway's channel is in the hash's 'notify' field (newline-separated; a channel of a gateway
  and of the prediction's model, so it shares the model's hash tag and slot), published with
  SPUBLISH, which stays on the shard holding the slot. A prediction accepted before gateways
  named their channels has no 'notify' field: when a gateway waits for it ('wait' is '1') its
  notice goes, as it did then, to the shared channel every such gateway subscribes to.

  notice_targets(hash): the waiting gateways' channels, taking them out of the hash (the
  prediction is ending: nobody waits on it again); false when it has none.
  send_notice(targets, hash, shared, notice): publishes `notice` to `targets`, or to the
  shared channel `shared` for a prediction waited for without targets; else nowhere.
]]
local function notice_targets(hash)
  local targets = redis.call('HGET', hash, 'notify')
  if targets then
    redis.call('HDEL', hash, 'notify')
  end
  return targets
end

local function send_notice(targets, hash, shared, notice)
  if targets then
    for channel in string.gmatch(targets, '[^\n]+') do
      redis.call('SPUBLISH', channel, notice)
    end
  elseif redis.call('HGET', hash, 'wait') == '1' then
    redis.call('PUBLISH', shared, notice)
  end
end
