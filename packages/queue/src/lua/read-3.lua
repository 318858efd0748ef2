--[[
  Reads up to ARGV[3] new entries for a consumer from a model's priority streams, in the
  order given, taking from the next stream only what the earlier ones did not fill: one
  round trip for a batch, however many priorities are empty. Never blocks.

  KEYS[1] first stream to read (e.g. high)
  KEYS[2] second stream (normal)
  KEYS[3] third stream (low)

  ARGV[1] consumer group
  ARGV[2] consumer name
  ARGV[3] most entries to read in all

  Returns an array like XREADGROUP's: {stream, {{id, fields}, ...}} per stream that gave
  entries, in the order read.
]]
local out = {}
local left = tonumber(ARGV[3])
for i = 1, #KEYS do
  if left <= 0 then
    break
  end
  local got = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', left, 'STREAMS', KEYS[i], '>')
  if got then
    local rows = got[1][2]
    if #rows > 0 then
      table.insert(out, got[1])
      left = left - #rows
    end
  end
end
return out
