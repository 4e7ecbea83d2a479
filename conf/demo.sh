#!/bin/bash
# make run DEMO=1: loads a demo into the running API — a WhatsApp and a
# Viber channel pointed at the local stand-in (conf/demo-provider.py), five
# sample contacts in a group, and a published flow for each channel.  The
# ids are fixed, so loading it twice changes nothing.
#
#     demo.sh API_URL STAND_IN_URL WHATSAPP_APP_SECRET VIBER_TOKEN

set -eu

API=${1%/}
STAND_IN=${2%/}
WA_SECRET=$3
VIBER_TOKEN=$4

# POST, and accept "already there" (409) as done
create() {
    local code

    code=$(curl -s -o /tmp/campaign-demo.$$ -w '%{http_code}' -X POST \
                -H 'Content-Type: application/json' -d "$2" "$API/$1")

    case $code in
    200|201|409) ;;
    *) echo "demo: POST $1: $code $(cat /tmp/campaign-demo.$$)" >&2
       rm -f /tmp/campaign-demo.$$
       exit 1 ;;
    esac

    rm -f /tmp/campaign-demo.$$
}

create channels '{"id": "demo-whatsapp", "name": "Demo WhatsApp",
    "type": "whatsapp", "min_gap_seconds": 0,
    "whatsapp": {"waba_id": "1555000001", "phone_number_id": "1555000100",
                 "access_token": "demo-token", "app_secret": "'"$WA_SECRET"'",
                 "verify_token": "demo-verify",
                 "api_base_url": "'"$STAND_IN"'/wa"}}'

create channels '{"id": "demo-viber", "name": "Demo Viber", "type": "viber",
    "viber": {"sender_name": "Demo shop", "auth_token": "'"$VIBER_TOKEN"'",
              "service_account_status": "approved",
              "api_base_url": "'"$STAND_IN"'/viber"}}'

names=(Ada Grace Linus Margaret Dennis)

for i in 1 2 3 4 5; do
    create contacts '{"id": "demo-'$i'", "phone": "+1555000000'$i'",
        "name": "'"${names[$i - 1]}"'", "viber_id": "demo-viber-user-'$i'=",
        "attributes": {"city": "Hangzhou", "tier": '$i'}}'
done

create groups '{"id": "demo", "name": "Demo customers",
    "description": "Five sample contacts that answer YES"}'

curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
     -d '{"contact_ids": ["demo-1", "demo-2", "demo-3", "demo-4", "demo-5"]}' \
     "$API/groups/demo/members"

# a question, the contact's answer, and a coupon for a YES
for provider in whatsapp viber; do
    extra=""
    [ $provider = viber ] && extra='"category": "promotion",'

    create flows '{"id": "demo-'$provider'", "name": "Demo '$provider' coupon",
        "trigger": "manual", "definition": {"start": "ask", "nodes": [
        {"id": "ask", "type": "send_'$provider'", '"$extra"'
         "channel_id": "demo-'$provider'",
         "message": {"type": "text",
                     "text": "Hi {{contact.name}}, a coupon? Reply YES"},
         "next": "wait"},
        {"id": "wait", "type": "wait_for_reply", "timeout_seconds": 60,
         "save_as": "answer", "replied": "check", "timeout": "bye"},
        {"id": "check", "type": "condition", "branches": [
            {"match": "any", "rules": [{"variable": "answer",
             "op": "string_equals", "value": "YES", "ignore_case": true}],
             "next": "coupon"}], "else": "bye"},
        {"id": "coupon", "type": "send_'$provider'", '"$extra"'
         "channel_id": "demo-'$provider'",
         "message": {"type": "text", "text": "Your code: DEMO-{{run.number}}"},
         "next": "bye"},
        {"id": "bye", "type": "end"}]}}'

    create flows/demo-$provider/publish '{}'
done

echo "demo:     loaded: channels demo-whatsapp and demo-viber (stand-in at" \
     "$STAND_IN), group \"Demo customers\", flows \"Demo whatsapp coupon\"" \
     "and \"Demo viber coupon\"; create an event in the console"
