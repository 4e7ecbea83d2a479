-- wrk script: durable creates, each a new channel
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"name":"bench","type":"viber","viber":{"sender_name":"Bench"}}'
