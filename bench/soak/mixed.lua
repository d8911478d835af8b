-- Mixed learner traffic for the soak run: log in, read protected routes, write, upload.
-- wrk calls request() for every request; each thread walks the same cycle. Statuses are
-- counted per thread and summed in done(): a 429 is the rate limiter doing its job, any
-- other 4xx or 5xx is an error.

local token = os.getenv("DOJO_ACCESS_TOKEN") or ""
local boundary = "----dojo-soak-boundary"
local upload = table.concat({
  "--" .. boundary,
  'Content-Disposition: form-data; name="file"; filename="notes.txt"',
  "Content-Type: text/plain",
  "",
  string.rep("backend dojo soak line\n", 40),
  "--" .. boundary .. "--",
  "",
}, "\r\n")

local cycle = {
  wrk.format("POST", "/api/v1/auth/login", { ["Content-Type"] = "application/json" },
    '{"email":"ada@dojo.test","password":"correct-horse-battery"}'),
  wrk.format("GET", "/api/v1/me", { ["Authorization"] = "Bearer " .. token }),
  wrk.format("GET", "/api/v1/me", { ["Authorization"] = "Bearer " .. token }),
  wrk.format("GET", "/api/v1/users/1", { ["Authorization"] = "Bearer " .. token }),
  wrk.format("PATCH", "/api/v1/users/1/profile",
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" },
    '{"display_name":"Ada under load"}'),
  wrk.format("GET", "/api/v2/users/1", { ["Authorization"] = "Bearer " .. token }),
  wrk.format("POST", "/api/v1/files",
    { ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "multipart/form-data; boundary=" .. boundary },
    upload),
  wrk.format("GET", "/healthz"),
}

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  position = 0
  ok, limited, failed = 0, 0, 0
  first_failure = ""
end

function request()
  position = position % #cycle + 1
  return cycle[position]
end

function response(status, headers, body)
  if status < 400 then
    ok = ok + 1
  elseif status == 429 then
    limited = limited + 1
  else
    failed = failed + 1
    if first_failure == "" then
      first_failure = status .. " " .. string.sub(body or "", 1, 200)
    end
  end
end

function done(summary, latency, requests)
  local total_ok, total_limited, total_failed, sample = 0, 0, 0, ""
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_limited = total_limited + thread:get("limited")
    total_failed = total_failed + thread:get("failed")
    if sample == "" then sample = thread:get("first_failure") end
  end
  io.write(string.format("soak: ok=%d rate_limited=%d errors=%d socket_errors=%d\n",
    total_ok, total_limited, total_failed,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("soak: p50=%.2fms p99=%.2fms max=%.2fms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  if sample ~= "" then io.write("soak: first error: " .. sample .. "\n") end
end
