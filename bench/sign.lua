-- POST the sign form as a browser would: the browser's same-origin Fetch Metadata
-- header (no cookie, no token: the page is the same for every reader), the form's
-- signed display time, and a new address each time. X-Forwarded-For plays
-- the proxy in front of the app (TRUSTED_PROXY_COUNT=1): every request comes from
-- another reader, as in a real wave.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  ok = 0
  bad = 0
  path = os.getenv("BENCH_PATH")
  rendered_at = os.getenv("BENCH_RENDERED_AT")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Sec-Fetch-Site"] = "same-origin"
end

function request()
  counter = counter + 1
  local email = string.format("bench-%d-%d-%d@gmail.com", id, os.time(), counter)
  local body = "full_name=Bench+Signer&email=" .. email
    .. "&country=UA&city=Kyiv&visibility=public&homepage="
    .. "&rendered_at=" .. rendered_at
  wrk.headers["X-Forwarded-For"] = string.format(
    "10.%d.%d.%d", id, math.floor(counter / 250) % 250, counter % 250 + 1)
  return wrk.format(nil, path, nil, body)
end

function response(status, headers, body)
  if status == 302 then
    ok = ok + 1
  else
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total_ok, total_bad = 0, 0
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_bad = total_bad + thread:get("bad")
  end
  io.write(string.format("BENCH_OK %d\nBENCH_BAD %d\n", total_ok, total_bad))
end
