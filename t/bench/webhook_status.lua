-- wrk script: signed WhatsApp status webhooks, each thread reading its own
-- file of "hex-signature TAB body" lines (made by bench_webhooks.sh)
local counter = 0

function setup(thread)
    thread:set("id", counter)
    counter = counter + 1
end

function init(args)
    path = args[1] .. "/webhooks-" .. id .. ".txt"
    file = assert(io.open(path, "r"))
end

function request()
    local line = file:read("*l")

    -- past the end the statuses repeat: duplicates, answered without change
    if line == nil then
        file:seek("set", 0)
        line = file:read("*l")
    end

    local sig, body = line:match("^(%x+)\t(.*)$")

    return wrk.format("POST", "/webhooks/whatsapp",
                      { ["Content-Type"] = "application/json",
                        ["X-Hub-Signature-256"] = "sha256=" .. sig },
                      body)
end
