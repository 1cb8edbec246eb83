-- Top-N aggregation across printf events.
-- The program prints one line per event: printf("%s %d\n", name, amount).
-- We add up the amounts per name in Lua, print nothing per event, and at
-- the end print the N largest totals (N from $TOPN, default 3).
local N = tonumber(os.getenv("TOPN") or "") or 3
local totals = {}

function on_printf(fmt_id, text, args)
  local name, amount = args[1], args[2]
  totals[name] = (totals[name] or 0) + amount
  return false -- suppress the per-event line
end

function on_end()
  local rows = {}
  for name, total in pairs(totals) do
    rows[#rows + 1] = { name = name, total = total }
  end
  -- Largest first; equal totals by name, so the output is deterministic.
  table.sort(rows, function(a, b)
    if a.total ~= b.total then return a.total > b.total end
    return a.name < b.name
  end)
  print(string.format("top %d of %d:", math.min(N, #rows), #rows))
  for i = 1, math.min(N, #rows) do
    print(string.format("%2d. %-16s %d", i, rows[i].name, rows[i].total))
  end
end
