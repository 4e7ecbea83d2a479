-- wrk script: signed WhatsApp status webhooks, each thread reading its own
-- file of "hex-signature TAB body" lines (made by bench_webhooks.sh)
local counter = 0
local threads = {}

function setup(thread)
    thread:set("id", counter)
    counter = counter + 1
    table.insert(threads, thread)
end

function init(args)
    path = args[1] .. "/webhooks-" .. id .. ".txt"
    file = assert(io.open(path, "r"))
    -- a global, for done() to read through the thread
    repeated = 0
end

function request()
    local line = file:read("*l")

    -- past the end the statuses repeat: duplicates, answered without change
    if line == nil then
        repeated = 1
        file:seek("set", 0)
        line = file:read("*l")
    end

    local sig, body = line:match("^(%x+)\t(.*)$")

    return wrk.format("POST", "/webhooks/whatsapp",
                      { ["Content-Type"] = "application/json",
                        ["X-Hub-Signature-256"] = "sha256=" .. sig },
                      body)
end

-- each thread reads its own file: any one of them may run past its end
function done(summary, latency, requests)
    local n = 0

    for _, t in ipairs(threads) do
        n = n + (t:get("repeated") or 0)
    end

    io.write(string.format("threads that repeated statuses: %d\n", n))
end
