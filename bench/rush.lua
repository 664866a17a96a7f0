-- wrk script of the registration rush (bench/bench_rush.py writes the data file and reads the summary).
--
-- wrk -s bench/rush.lua URL -- MODE DATAFILE THREADS
--   MODE  api   POST /api/v1/my/enrolments {"section_id": S} with the learner's JWT
--         form  POST /my/enrolments/register/S with the learner's session cookie and CSRF token
--         floor POST /register {"learner_id": L, "section_id": S} (the bare Flask endpoint)
-- Each data line is "learner_id<TAB>section_id<TAB>jwt<TAB>cookie<TAB>csrf"; request k of thread t
-- takes line k * THREADS + t, so no two requests of a run share a learner.

local threads = {}
local next_id = 0

function setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

function init(args)
   mode, datafile, nthreads = args[1], args[2], tonumber(args[3])
   lines = {}
   for line in io.lines(datafile) do
      local learner, section, jwt, cookie, csrf = line:match("([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)")
      lines[#lines + 1] = {learner, section, jwt, cookie, csrf}
   end
   sent, ok, refused, s2xx, s3xx, s4xx, s5xx, wrapped = 0, 0, 0, 0, 0, 0, 0, 0
end

function request()
   local index = sent * nthreads + id
   sent = sent + 1
   if index >= #lines then wrapped = wrapped + 1 end
   local row = lines[(index % #lines) + 1]
   local headers = {["User-Agent"] = "rush-bench", ["Accept-Language"] = "fr"}
   if mode == "api" then
      headers["Content-Type"] = "application/json"
      headers["Authorization"] = "Bearer " .. row[3]
      return wrk.format("POST", "/api/v1/my/enrolments", headers, '{"section_id": ' .. row[2] .. '}')
   elseif mode == "form" then
      headers["Content-Type"] = "application/x-www-form-urlencoded"
      headers["Cookie"] = "session=" .. row[4]
      return wrk.format("POST", "/my/enrolments/register/" .. row[2], headers, "csrf_token=" .. row[5])
   else
      headers["Content-Type"] = "application/json"
      return wrk.format("POST", "/register", headers,
                        '{"learner_id": ' .. row[1] .. ', "section_id": ' .. row[2] .. '}')
   end
end

function response(status, headers, body)
   if status >= 500 then s5xx = s5xx + 1
   elseif status >= 400 then s4xx = s4xx + 1
   elseif status >= 300 then s3xx = s3xx + 1
   else s2xx = s2xx + 1 end
   if mode == "form" then
      -- a registration ends on "My courses"; a refusal goes back to the section's page
      local location = headers["Location"] or headers["location"] or ""
      if status == 302 and location:find("/my/enrolments", 1, true) then ok = ok + 1 else refused = refused + 1 end
   elseif status == 201 then ok = ok + 1
   else refused = refused + 1 end
end

function done(summary, latency, requests)
   local totals = {ok = 0, refused = 0, s2xx = 0, s3xx = 0, s4xx = 0, s5xx = 0, wrapped = 0}
   for _, thread in ipairs(threads) do
      for key, _ in pairs(totals) do totals[key] = totals[key] + (thread:get(key) or 0) end
   end
   local e = summary.errors
   io.write(string.format(
      'RUSHJSON {"requests": %d, "duration_us": %d, "ok": %d, "refused": %d, "status_2xx": %d, ' ..
      '"status_3xx": %d, "status_4xx": %d, "status_5xx": %d, "wrapped": %d, "socket_errors": ' ..
      '{"connect": %d, "read": %d, "write": %d, "timeout": %d}, "latency_us": ' ..
      '{"p50": %d, "p90": %d, "p95": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
      summary.requests, summary.duration, totals.ok, totals.refused, totals.s2xx, totals.s3xx, totals.s4xx,
      totals.s5xx, totals.wrapped, e.connect, e.read, e.write, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
      latency.max, latency.mean))
end
