roll_day()
dispatch(tonumber(ARGV[A + 1]))
return finish(true, '')
