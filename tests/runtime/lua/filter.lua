-- Filtering events by a pattern.
-- Only printf lines matching the Lua pattern in $PATTERN (default: lines
-- whose third field is a 4xx or 5xx status) reach the text or JSON output;
-- at the end, a summary of what was dropped.
local pattern = os.getenv("PATTERN") or "^%S+ %S+ [45]%d%d"
local kept, dropped = 0, 0

function on_start(info)
  io.write(string.format("filtering %d probe(s) with %q\n", info.probes, pattern))
  return false -- no banner
end

function on_printf(fmt_id, text, args)
  if text:match(pattern) then
    kept = kept + 1
    return true
  end
  dropped = dropped + 1
  return false
end

function on_end()
  io.write(string.format("kept %d, dropped %d\n", kept, dropped))
end
