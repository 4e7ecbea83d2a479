-- wrk script: WhatsApp channels, each with its own number and app secret,
-- until each thread has made its share (args: how many in all)
local counter = 0

function setup(thread)
    thread:set("id", counter)
    counter = counter + 1
end

function init(args)
    share = math.floor(tonumber(args[1]) / 2)
    made = 0
end

function request()
    made = made + 1
    return wrk.format("POST", "/api/channels",
        { ["Content-Type"] = "application/json" },
        string.format('{"name":"c","type":"whatsapp","whatsapp":'
                      .. '{"waba_id":"1","phone_number_id":"7%d%07d",'
                      .. '"access_token":"t","app_secret":"s%d-%d"}}',
                      id, made, id, made))
end

function response(status, headers, body)
    if made >= share then
        wrk.thread:stop()
    end
end
