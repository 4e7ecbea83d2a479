-- wrk script: creates campaigns cN with varied names, until told to stop
counter = 0
words = {"summer", "winter", "vip", "sale", "spring", "autumn", "x-mas", "promo"}

request = function()
    counter = counter + 1
    local id = string.format("c%d-%d", math.random(1, 1000000000), counter)
    local name = words[(counter % #words) + 1] .. " " .. counter
    local body = string.format(
        '{"id":"%s","name":"%s","flow_id":"bf","group_id":"bg",' ..
        '"start_time":"%s","end_time":"%s",' ..
        '"execution_plan":{"unit":"day"}}', id, name, start_time, end_time)
    return wrk.format("POST", "/api/campaigns",
                      {["Content-Type"] = "application/json"}, body)
end
