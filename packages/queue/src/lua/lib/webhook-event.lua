--[[
  Shared by the scripts that change a prediction's state (spliced in where a script says
  `-- uses lib/webhook-event.lua`; see lua-script.ts).

  webhook_event(hash, outbox, id, event, at): if the prediction subscribed to `event`, append
  it to the model's outbox and mark its delivery pending, in the same step as the state change
  (see outbox.ts). A malformed webhook field never fails the state change itself.
]]
local function webhook_event(hash, outbox, id, event, at)
  local webhook = redis.call('HGET', hash, 'webhook')
  if not webhook then
    return
  end
  -- Never let a bad field fail the state change itself (writes before an error are kept).
  local ok, w = pcall(cjson.decode, webhook)
  if not ok or type(w) ~= 'table' or type(w.events) ~= 'table' then
    return
  end
  for _, e in ipairs(w.events) do
    if e == event then
      redis.call('XADD', outbox, '*', 'id', id, 'event', event, 'at', at)
      redis.call('HSET', hash, 'webhook_' .. event, '{"state":"pending","attempts":0}')
      return
    end
  end
end
