-- Converting a latency histogram to percentiles.
-- For every hist()/lhist() map printed (at exit or by print()), print the
-- count and the p50/p90/p99 upper bounds instead of the ASCII histogram.
-- Buckets are closed intervals {min=, max=, count=}: the underflow bucket
-- has no min, the overflow bucket has no max.
local wanted = { 50, 90, 99 }

local function percentiles(buckets)
  local total = 0
  for _, b in ipairs(buckets) do total = total + b.count end
  local out, seen, i = {}, 0, 1
  for _, b in ipairs(buckets) do
    seen = seen + b.count
    -- The smallest bucket holding at least p% of the samples.
    while i <= #wanted and seen * 100 >= wanted[i] * total do
      out[#out + 1] = string.format("p%d <= %s", wanted[i], b.max and tostring(b.max) or "inf")
      i = i + 1
    end
  end
  return total, table.concat(out, ", ")
end

function on_map(name, entries, kind)
  if kind ~= "hist" and kind ~= "lhist" then
    return true -- other maps print as usual
  end
  for _, e in ipairs(entries) do
    local label = name
    if e.key ~= nil then
      local k = type(e.key) == "table" and table.concat(e.key, ", ") or tostring(e.key)
      label = label .. "[" .. k .. "]"
    end
    local total, text = percentiles(e.value)
    print(string.format("%s: count %d, %s", label, total, text))
  end
  return false -- no ASCII histogram
end
