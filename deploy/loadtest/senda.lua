-- wrk script for the webhook load test (deploy/loadtest/run.sh runs it).
--
--   wrk -t2 -c64 -d15s -s senda.lua http://127.0.0.1:8090/twilio/messages -- REQUESTS THREADS [check]
--
-- REQUESTS is a file written by deploy/loadtest/gen: one request per line,
-- the X-Twilio-Signature, a tab, the url-encoded body. THREADS must be
-- wrk's -t. Thread t of T (counting from 0) sends lines t+1, t+1+T,
-- t+1+2T, … in order; gen puts request i from sender i mod -senders, so
-- with -senders a multiple of T each sender's messages go through one
-- thread, in order. A thread that runs out of lines starts its slice again
-- and the summary warns: a resent MessageSid is no new message (Senda
-- answers it as a duplicate, or steps an old conversation again), so such a
-- run measures something else.
--
-- With "check", every response is read and any status outside 2xx, or a
-- body without <Response>, is counted; this costs wrk time, so the measured
-- runs leave it off and rely on wrk's own count of statuses >= 400.
--
-- The same script drives the baseline, which ignores the signature.

local threads = {}
local counter = 0

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

-- Per-thread state (each wrk thread has its own Lua state). Lines are read
-- as they are sent rather than loaded in init: wrk starts each thread as
-- soon as its init returns and starts its clock after the last one, so a
-- slow init would let the first threads send uncounted time.
local f, nthreads, prefix
local find, sub = string.find, string.sub
wraps, bad, badsample = 0, 0, ""

function init(args)
   local file, mode = args[1], args[3]
   nthreads = tonumber(args[2])
   if not file or not nthreads then
      error("usage: wrk ... -s senda.lua URL -- REQUESTS THREADS [check]")
   end
   prefix = "POST " .. wrk.path .. " HTTP/1.1\r\n" ..
      "Host: " .. wrk.headers["Host"] .. "\r\n" ..
      "Content-Type: application/x-www-form-urlencoded\r\n" ..
      "User-Agent: TwilioProxy/1.1\r\n" ..
      "X-Twilio-Signature: "
   f = assert(io.open(file, "rb"))
   -- Skip to this thread's first line.
   for _ = 1, id do
      assert(f:read("*l"), "fewer requests than threads in " .. file)
   end
   if mode == "check" then
      response = function(status, headers, body)
         if status < 200 or status > 299 or not find(body, "<Response>", 1, true) then
            bad = bad + 1
            if badsample == "" then
               badsample = status .. " " .. sub(body, 1, 200)
            end
         end
      end
   end
end

-- nextline returns this thread's next line and skips the other threads'.
local function nextline()
   local line = f:read("*l")
   if not line then
      -- Out of requests: start again, and say so in the summary.
      wraps = wraps + 1
      f:seek("set", 0)
      for _ = 1, id do f:read("*l") end
      line = assert(f:read("*l"))
   end
   for _ = 2, nthreads do f:read("*l") end
   return line
end

function request()
   local line = nextline()
   local tab = find(line, "\t", 1, true)
   local body = sub(line, tab + 1)
   return prefix .. sub(line, 1, tab - 1) .. "\r\nContent-Length: " .. #body .. "\r\n\r\n" .. body
end

function done(summary, latency, requests)
   local w, b, sample = 0, 0, ""
   for _, t in ipairs(threads) do
      w = w + (t:get("wraps") or 0)
      b = b + (t:get("bad") or 0)
      local s = t:get("badsample")
      if s and s ~= "" and sample == "" then sample = s end
   end
   local e = summary.errors
   local secs = summary.duration / 1e6
   io.write(string.format("responses with status >= 400: %d; socket errors: connect %d, read %d, write %d, timeout %d\n",
      e.status, e.connect, e.read, e.write, e.timeout))
   if b > 0 then
      io.write(string.format("checked responses outside 2xx or without <Response>: %d (first: %s)\n", b, sample))
   end
   if w > 0 then
      io.write(string.format("WARNING: threads ran out of requests %d time(s) and resent old ones, " ..
         "which are no new messages to Senda: generate more requests.\n", w))
   end
   -- One line for run.sh.
   io.write(string.format("LOADTEST requests=%d seconds=%.3f rps=%.1f bytes_per_response=%.0f status_errors=%d socket_errors=%d checked_bad=%d wraps=%d p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f\n",
      summary.requests, secs, summary.requests / secs, summary.bytes / math.max(summary.requests, 1), e.status,
      e.connect + e.read + e.write + e.timeout, b, w,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
end
