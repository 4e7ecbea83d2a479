-- wrk script: unauthenticated WhatsApp webhooks, in turn: a number no
-- channel has, a known number with a wrong signature, no entry at all
local bodies = {
    '{"object":"whatsapp_business_account","entry":[{"id":"1","changes":'
    .. '[{"field":"messages","value":{"metadata":{"phone_number_id":'
    .. '"555"},"statuses":[{"id":"wamid.f","status":"read"}]}}]}]}',
    '{"object":"whatsapp_business_account","entry":[{"id":"1","changes":'
    .. '[{"field":"messages","value":{"metadata":{"phone_number_id":'
    .. '"900001"},"statuses":[{"id":"wamid.f","status":"read"}]}}]}]}',
    '{"object":"whatsapp_business_account","entry":[]}'
}
local n = 0

function request()
    n = n + 1
    return wrk.format("POST", "/webhooks/whatsapp",
        { ["Content-Type"] = "application/json",
          ["X-Hub-Signature-256"] = "sha256=" .. string.rep("ab", 32) },
        bodies[n % 3 + 1])
end
