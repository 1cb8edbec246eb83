-- Every Lua value shape the hooks see, printed in a stable form.
local function show(v)
  if type(v) ~= "table" then
    return math.type(v) and (math.type(v) .. ":" .. tostring(v)) or (type(v) .. ":" .. tostring(v))
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = tostring(k) .. "=" .. show(v[k]) end
  return "{" .. table.concat(parts, " ") .. "}"
end

function on_start(info) print("start probes=" .. info.probes .. " format=" .. info.format) end
function on_printf(id, text, args) print("printf " .. id .. " " .. show(args)) end
function on_time(text) print("time " .. show(text)) return false end
function on_value(v) print("value " .. show(v)) end
function on_map(name, entries, kind) print("map " .. name .. " " .. kind .. " " .. show(entries)) return false end
function on_end() print("end") end
