-- wrk script for bench/run: POST .../trigger round-robin over the trigger paths listed in
-- $BENCH_JOBS_FILE (one per line), with the bearer token in $BENCH_TOKEN. Each wrk thread
-- starts at a different job (setup gives it an offset), so the threads are not in step.
local paths = {}
for line in io.lines(os.getenv("BENCH_JOBS_FILE")) do
  paths[#paths + 1] = line
end
local headers = {
  ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
  ["Content-Type"] = "application/json",
}
local counter = 0

-- Runs in wrk's main Lua state, once per thread, before the thread's init().
local next_offset = 0
function setup(thread)
  thread:set("offset", next_offset)
  next_offset = next_offset + 17
end

function init(args)
  counter = offset or 0
end

request = function()
  counter = counter + 1
  return wrk.format("POST", paths[(counter % #paths) + 1], headers, "{}")
end
