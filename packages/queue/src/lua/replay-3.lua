--[[
  Replays a dead-lettered entry: appends its request to the model's stream again and puts its
  prediction back to queued (same id, error cleared, retention clock stopped), then removes
  it from the dead-letter stream. A prediction past retention is recreated from the entry.
  The delivery count starts again from zero, as the entry is a new one. It goes to the
  model's normal-priority stream: pin and priority are dropped.

  KEYS[1] dead-letter stream of the model
  KEYS[2] stream of the model
  KEYS[3] prediction hash

  ARGV[1] dead-letter entry id
  ARGV[2] replayed_at (epoch ms)

  Returns (outcomes named as in scripts/replay.ts)
    REPLAYED   the new stream entry id;
    NOT_FOUND  false: there is no such dead-letter entry.
]]
local found = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #found == 0 then
  return false
end
local f = {}
local fields = found[1][2]
for i = 1, #fields, 2 do
  f[fields[i]] = fields[i + 1]
end
-- The trace context and the key its usage counts against go along: the replayed run joins the request's trace.
local entry = redis.call('XADD', KEYS[2], '*', 'id', f['id'], 'v', f['v'], 't', f['t'], 'in', f['in'],
  'tp', f['tp'] or '', 'k', f['k'] or '')
if redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('HSET', KEYS[3], 'version', f['v'], 'created_at', f['t'], 'fmt', 'json')
end
-- Nobody waits for it any more ('wait', 'notify'): its completion notifies no gateway.
redis.call('HDEL', KEYS[3], 'err_code', 'err_msg', 'completed_at', 'started_at', 'out', 'deadline', 'pin', 'prio',
  'wait', 'notify')
redis.call('HSET', KEYS[3], 'status', 'queued', 'entry', entry, 'replayed_at', ARGV[2])
redis.call('PERSIST', KEYS[3])
redis.call('XDEL', KEYS[1], ARGV[1])
return entry
