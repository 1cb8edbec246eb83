-- A syntax error on line 3.
function on_printf(fmt_id, text, args)
  local x = = 1
end
