#!/usr/bin/python3
"""make run DEMO=1: a local stand-in for WhatsApp's Cloud API and Viber's bot
API, so that a demo campaign sends, is delivered, read and replied to with
no account anywhere.

It accepts every send the way the real providers do, then plays the
recipient: a second later it posts a signed "delivered" callback to nginx's
webhook location, then "read", then a reply ("YES"), exactly as the real
providers post them.  Nothing leaves the machine.

    demo-provider.py LISTEN_PORT WEBHOOK_BASE WHATSAPP_APP_SECRET VIBER_TOKEN
"""

import hashlib
import hmac
import itertools
import json
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
WEBHOOKS = sys.argv[2].rstrip("/")
WA_SECRET = sys.argv[3].encode()
VIBER_TOKEN = sys.argv[4].encode()

# a recipient's steps after a send: seconds later, what it does
STEPS = ((1.0, "delivered"), (2.0, "read"), (3.0, "reply"))

ids = itertools.count(1)


def post(path, body, header, key):
    data = json.dumps(body).encode()
    signature = hmac.new(key, data, hashlib.sha256).hexdigest()
    if header == "X-Hub-Signature-256":
        signature = "sha256=" + signature
    request = urllib.request.Request(WEBHOOKS + path, data=data, headers={
        "Content-Type": "application/json", header: signature})
    try:
        urllib.request.urlopen(request, timeout=5).read()
    except OSError as e:
        print("demo-provider: webhook %s: %s" % (path, e), file=sys.stderr)


def whatsapp_event(phone_number_id, to, message_id, step):
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "15550000000",
                          "phone_number_id": phone_number_id}}
    now = str(int(time.time()))
    if step == "reply":
        value["contacts"] = [{"profile": {"name": "Demo"}, "wa_id": to}]
        value["messages"] = [{"from": to, "id": "wamid.demo-in-%d" % next(ids),
                              "timestamp": now, "type": "text",
                              "text": {"body": "YES"}}]
    else:
        value["statuses"] = [{"id": message_id, "status": step,
                              "timestamp": now, "recipient_id": to}]
    post("/whatsapp", {"object": "whatsapp_business_account",
                       "entry": [{"id": "1555000001", "changes": [
                           {"field": "messages", "value": value}]}]},
         "X-Hub-Signature-256", WA_SECRET)


def viber_event(receiver, token, step):
    now = int(time.time() * 1000)
    if step == "reply":
        body = {"event": "message", "timestamp": now,
                "message_token": 9000000 + next(ids),
                "sender": {"id": receiver, "name": "Demo"},
                "message": {"type": "text", "text": "YES"}}
    else:
        body = {"event": "delivered" if step == "delivered" else "seen",
                "timestamp": now, "message_token": token,
                "user_id": receiver}
    # Viber's callbacks do not say which bot they are for: the URL does
    post("/viber?channel=demo-viber", body, "X-Viber-Content-Signature",
         VIBER_TOKEN)


def play(event, *args):
    def run():
        start = time.time()
        for at, step in STEPS:
            time.sleep(max(0, start + at - time.time()))
            event(*args, step)
    threading.Thread(target=run, daemon=True).start()


class StandIn(BaseHTTPRequestHandler):
    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return self.answer(400, {"error": {"message": "bad JSON"}})

        parts = self.path.strip("/").split("/")

        # WhatsApp: POST /wa/{phone_number_id}/messages
        if len(parts) == 3 and parts[0] == "wa" and parts[2] == "messages":
            to = str(body.get("to", ""))
            message_id = "wamid.demo-%d" % next(ids)
            play(whatsapp_event, parts[1], to, message_id)
            return self.answer(200, {"messaging_product": "whatsapp",
                                     "contacts": [{"input": to, "wa_id": to}],
                                     "messages": [{"id": message_id}]})

        # Viber: POST /viber/send_message
        if parts == ["viber", "send_message"]:
            token = 5000000 + next(ids)
            play(viber_event, str(body.get("receiver", "")), token)
            return self.answer(200, {"status": 0, "status_message": "ok",
                                     "message_token": token})

        return self.answer(404, {"error": {"message": "no such endpoint"}})

    def log_message(self, fmt, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), StandIn).serve_forever()
