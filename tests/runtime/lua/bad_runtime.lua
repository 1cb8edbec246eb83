-- A runtime error in a hook, on line 4.
function on_printf(fmt_id, text, args)
  seen = (seen or 0) + 1
  return undefined_table.field
end
