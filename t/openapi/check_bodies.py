#!/usr/bin/python3
"""
Checks ngx_module/ngx_http_campaign_openapi.json against a running module:
every component schema is a valid JSON Schema (Draft 2020-12), every
operation of the document is exercised, and every answer (status, headers,
body) is the one the document gives for that operation and status; the
request bodies sent are checked against the document too (the valid ones
must pass, the ones meant to be refused must not).

    /usr/bin/python3 t/openapi/check_bodies.py http://127.0.0.1:19080/api \
        [--ro http://127.0.0.1:19080/ro] [--doc FILE] [--no-openapi-route]

The base URL is a location with "campaign_api write=on" on an empty store
(campaignd need not run); --ro a read-only location of the same store.
Needs Debian's python3-jsonschema.  Exits 1 on any mismatch.
"""

import argparse
import http.client
import json
import os
import re
import sys
import time
import urllib.parse

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
DOC_DEFAULT = os.path.join(HERE, "..", "..", "ngx_module",
                           "ngx_http_campaign_openapi.json")

failures = []
exercised = set()


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


# ------------------------------------------------------------ the document

class Doc:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.doc = json.load(f)
        try:
            from referencing import Registry
            from referencing.jsonschema import DRAFT202012
            self.registry = Registry().with_resource(
                "urn:openapi", DRAFT202012.create_resource(self.doc))
            self.resolver = None
        except ImportError:
            self.registry = None
            self.resolver = jsonschema.RefResolver("urn:openapi", self.doc)
        self.ops = []
        for tpl, item in self.doc["paths"].items():
            rx = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(tpl)) + "$"
            for m, op in item.items():
                if m != "parameters":
                    self.ops.append((m.upper(), tpl, re.compile(rx), op))

    def deref(self, obj):
        while isinstance(obj, dict) and "$ref" in obj:
            node = self.doc
            for part in obj["$ref"][2:].split("/"):
                node = node[part]
            obj = node
        return obj

    def validator(self, pointer):
        schema = {"$ref": "urn:openapi#" + pointer}
        if self.registry is not None:
            return jsonschema.Draft202012Validator(schema,
                                                   registry=self.registry)
        return jsonschema.Draft202012Validator(schema, resolver=self.resolver)

    def errors(self, pointer, value):
        return ["%s at %s" % (e.message[:300], "/".join(map(str, e.absolute_path)))
                for e in self.validator(pointer).iter_errors(value)]

    def find(self, method, path):
        for m, tpl, rx, op in self.ops:
            if m == method and rx.match(path):
                return tpl, op
        # a literal path wins over a template ("/flows/import")
        return None, None

    def check_schemas(self):
        schemas = self.doc["components"]["schemas"]
        for name, schema in schemas.items():
            try:
                jsonschema.Draft202012Validator.check_schema(schema)
            except jsonschema.SchemaError as e:
                fail("schema %s is no valid Draft 2020-12 schema: %s"
                     % (name, e.message))
        # every $ref resolves
        def walk(o, where):
            if isinstance(o, dict):
                if "$ref" in o:
                    try:
                        self.deref({"$ref": o["$ref"]})
                    except (KeyError, TypeError):
                        fail("%s: $ref %s resolves to nothing" % (where, o["$ref"]))
                for k, v in o.items():
                    walk(v, where + "/" + k)
            elif isinstance(o, list):
                for i, v in enumerate(o):
                    walk(v, "%s/%d" % (where, i))
        walk(self.doc, "#")
        ids = [op["operationId"] for _, _, _, op in self.ops]
        for i in set(ids):
            if ids.count(i) > 1:
                fail("operationId %s is not unique" % i)
        if self.doc.get("openapi") != "3.1.0":
            fail("openapi is not 3.1.0")


# ------------------------------------------------------------ requests

class Api:
    def __init__(self, doc, base):
        self.doc = doc
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port or 80
        self.prefix = u.path.rstrip("/")

    def call(self, method, path, body=None, ctype=None, headers=None,
             status=None, code=None, req_valid=None, raw=None):
        """One request; checks its answer against the document."""
        hdrs = dict(headers or {})
        data = None
        if raw is not None:
            data = raw if isinstance(raw, bytes) else raw.encode()
        elif body is not None:
            data = json.dumps(body).encode()
            ctype = ctype or "application/json"
        if ctype:
            hdrs["Content-Type"] = ctype
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        conn.request(method, self.prefix + path, body=data, headers=hdrs)
        resp = conn.getresponse()
        text = resp.read()
        conn.close()
        rh = {k.lower(): v for k, v in resp.getheaders()}
        where = "%s %s -> %d" % (method, path, resp.status)
        if status is not None and resp.status not in (
                status if isinstance(status, tuple) else (status,)):
            fail("%s: expected %s; body %s" % (where, status, text[:300]))

        bare = urllib.parse.urlsplit(path).path
        tpl, op = self.doc.find(method, bare)
        if op is None:
            fail("%s: no operation in the document" % where)
            return resp.status, rh, text
        exercised.add((method, tpl))

        if req_valid is not None and body is not None:
            rb = self.doc.deref(op.get("requestBody"))
            if rb is None:
                fail("%s: the document has no request body here" % where)
            else:
                ptr = self.pointer_of(rb["content"]["application/json"]["schema"],
                                      "%s %s request" % (method, tpl))
                errs = self.doc.errors(ptr, body) if ptr else []
                if req_valid and errs:
                    fail("%s: the request body sent does not match the document: %s"
                         % (where, errs[:3]))
                if not req_valid and not errs:
                    fail("%s: the document accepts a request body the module refuses: %s"
                         % (where, json.dumps(body)[:200]))

        self.check_answer(where, op, method, resp.status, rh, text)
        try:
            js = json.loads(text) if text else None
        except ValueError:
            js = None
        if code is not None:
            got = js.get("error", {}).get("code") if isinstance(js, dict) else None
            if got != code:
                fail("%s: expected error code %s, got %s" % (where, code, got))
        return resp.status, rh, js if js is not None else text

    def raw(self, method, path):
        """A request outside the document's operations: status, headers, JSON."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        conn.request(method, self.prefix + path)
        resp = conn.getresponse()
        text = resp.read()
        conn.close()
        try:
            js = json.loads(text)
        except ValueError:
            js = None
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, js

    def pointer_of(self, schema, what):
        """A JSON pointer to a schema inside the document."""
        if "$ref" in schema and len(schema) == 1:
            return schema["$ref"][1:]
        # an inline schema: find it in the document
        found = []
        def walk(o, ptr):
            if found:
                return
            if o is schema:
                found.append(ptr)
                return
            if isinstance(o, dict):
                for k, v in o.items():
                    walk(v, ptr + "/" + k.replace("~", "~0").replace("/", "~1"))
            elif isinstance(o, list):
                for i, v in enumerate(o):
                    walk(v, "%s/%d" % (ptr, i))
        walk(self.doc.doc, "")
        if not found:
            fail("%s: schema not found in the document" % what)
            return None
        return found[0]

    def check_answer(self, where, op, method, st, rh, text):
        responses = op["responses"]
        key = str(st)
        if key not in responses:
            key = key[0] + "XX"
        if key not in responses:
            key = "default" if st >= 400 and "default" in responses else None
        if key is None:
            fail("%s: status %d is not documented for %s"
                 % (where, st, op["operationId"]))
            return
        r = self.doc.deref(responses[key])
        for h, spec in (r.get("headers") or {}).items():
            if method != "HEAD" and h.lower() not in rh and h != "Content-Disposition" or \
               h == "Content-Disposition" and h.lower() not in rh:
                fail("%s: header %s missing" % (where, h))
            elif h.lower() in rh:
                hs = self.doc.deref(spec).get("schema")
                if hs and "pattern" in hs and not re.search(hs["pattern"], rh[h.lower()]):
                    fail("%s: header %s %r does not match %s"
                         % (where, h, rh[h.lower()], hs["pattern"]))
        if st == 201 and "location" not in rh:
            fail("%s: no Location" % where)
        if method == "HEAD":
            if text:
                fail("%s: HEAD answered a body" % where)
            return
        content = r.get("content")
        if not content:
            if text:
                fail("%s: a body where the document has none: %s" % (where, text[:200]))
            return
        ct = rh.get("content-type", "").split(";")[0].strip()
        if ct not in content:
            fail("%s: Content-Type %r, the document has %s"
                 % (where, ct, sorted(content)))
            return
        if ct != "application/json":
            return
        try:
            body = json.loads(text)
        except ValueError:
            fail("%s: not JSON: %s" % (where, text[:200]))
            return
        ptr = self.pointer_of(content[ct]["schema"], where)
        if ptr is None:
            return
        errs = self.doc.errors(ptr, body)
        if errs:
            fail("%s: body does not match %s: %s; body %s"
                 % (where, ptr, errs[:3], text[:300]))


# ------------------------------------------------------------ the scenario

def scenario(api, ro, openapi_route):
    c = api.call
    u = "x%d" % (int(time.time() * 1000) % 100000000)   # unique ids per run

    # health
    c("GET", "/health", status=200)
    st, _, _ = c("GET", "/health?scheduler=required", status=(200, 503))
    c("GET", "/health?scheduler=maybe", status=400, code="invalid_argument")
    c("HEAD", "/health", status=200)

    # channels
    wa = u + "wa"
    vb = u + "vb"
    body = {"id": wa, "name": "Main WhatsApp", "type": "whatsapp",
            "whatsapp": {"waba_id": "1029", "phone_number_id": "1133" + u[1:],
                         "access_token": "EAAG", "app_secret": "s", "verify_token": "v"},
            "rate_limit_per_second": 80}
    c("POST", "/channels", body, status=201, req_valid=True)
    c("POST", "/channels", body, status=409, code="conflict", req_valid=True)
    vbody = {"id": vb, "name": "Viber promo", "type": "viber",
             "viber": {"sender_name": "ShopCo", "auth_token": "t",
                       "service_account_status": "approved"}}
    c("POST", "/channels", vbody, status=201, req_valid=True)
    key = {"Idempotency-Key": "k-" + u}
    _, _, first = c("POST", "/channels", {"name": "idem", "type": "viber"},
                    headers=key, status=201, req_valid=True)
    _, _, again = c("POST", "/channels", {"name": "idem", "type": "viber"},
                    headers=key, status=201, req_valid=True)
    if first.get("id") != again.get("id"):
        fail("Idempotency-Key did not answer the first channel")
    c("POST", "/channels", {"name": "x", "type": "whatsapp", "colour": 1},
      status=422, code="unknown_field", req_valid=False)
    c("POST", "/channels", {"name": "x", "type": "sms"},
      status=422, code="validation_failed", req_valid=False)
    c("POST", "/channels", {"name": "x", "type": "whatsapp", "viber": {}},
      status=422, code="validation_failed", req_valid=False)
    c("POST", "/channels", {"name": "x" * 129, "type": "viber"},
      status=422, code="validation_failed", req_valid=False)
    c("POST", "/channels", {"name": "x", "type": "viber", "min_gap_seconds": 86401},
      status=422, code="validation_failed", req_valid=False)
    c("POST", "/channels", raw="{", ctype="application/json", status=400, code="invalid_json")
    c("POST", "/channels", raw="name=x", ctype="text/plain", status=415,
      code="unsupported_media_type")
    c("POST", "/channels", raw="x" * (1024 * 1024 + 10), ctype="application/json",
      status=(413, 400))
    _, _, page = c("GET", "/channels?limit=1", status=200)
    if page.get("next_cursor"):
        c("GET", "/channels?limit=1&cursor=" + page["next_cursor"], status=200)
    c("GET", "/channels?limit=0", status=400, code="invalid_argument")
    c("GET", "/channels?cursor=zz", status=400, code="invalid_argument")
    c("GET", "/channels", headers={"If-Match": '"1"'}, status=412, code="version_mismatch")
    c("HEAD", "/channels", status=200)
    _, h, ch = c("GET", "/channels/" + wa, status=200)
    c("GET", "/channels/" + wa, headers={"If-None-Match": h.get("etag", "")}, status=304)
    c("HEAD", "/channels/" + wa, status=200)
    c("GET", "/channels/nope" + u, status=404, code="not_found")
    c("PATCH", "/channels/" + wa, {"name": "Renamed", "max_in_flight": 10,
                                   "whatsapp": {"verify_token": None, "api_base_url": None}},
      headers={"If-Match": h.get("etag", "")}, status=200, req_valid=True)
    c("PATCH", "/channels/" + wa, {"name": "x"}, headers={"If-Match": '"999"'},
      status=412, code="version_mismatch", req_valid=True)
    c("PATCH", "/channels/" + wa, {"type": "viber"}, status=422, code="validation_failed")
    c("PATCH", "/channels/" + wa, {"viber": {}}, status=422, code="validation_failed",
      req_valid=True)   # the schema cannot know the stored type
    c("PATCH", "/channels/" + wa, {"id": "other"}, status=422, code="validation_failed",
      req_valid=False)
    c("PATCH", "/channels/nope" + u, {"name": "x"}, status=404, code="not_found")
    c("DELETE", "/channels/" + first["id"], status=204)
    c("DELETE", "/channels/" + first["id"], status=404, code="not_found")

    # contacts
    ph = "+86139%08d" % (int(time.time() * 1000) % 100000000)
    c1 = u + "c1"
    c("POST", "/contacts", {"id": c1, "phone": ph, "name": "Li Lei", "email": "li@example.com",
                            "country": "cn", "remark": "met at expo", "viber_id": "vid" + u,
                            "attributes": {"city": "Hangzhou", "tier": 2, "vip": True}},
      status=201, req_valid=True)
    c("POST", "/contacts", {"phone": ph}, status=409, code="conflict", req_valid=True)
    c("POST", "/contacts", {"phone": "12345"}, status=422, code="validation_failed", req_valid=False)
    c("POST", "/contacts", {"phone": ph[:-1] + "9", "country": "XX"}, status=422,
      code="validation_failed", req_valid=True)   # not every code: a pattern only
    c("POST", "/contacts", {"phone": ph[:-1] + "9", "attributes": {"a": [1]}}, status=422,
      code="validation_failed", req_valid=False)
    c("GET", "/contacts?phone=" + urllib.parse.quote(ph), status=200)
    c("GET", "/contacts?phone=123", status=400, code="invalid_argument")
    c("GET", "/contacts?q=li&limit=1", status=200)
    c("GET", "/contacts", status=200)
    c("HEAD", "/contacts", status=200)
    c("GET", "/contacts/" + c1, status=200)
    c("HEAD", "/contacts/" + c1, status=200)
    c("PATCH", "/contacts/" + c1, {"opted_out": True, "remark": None, "attributes": {"tier": None}},
      status=200, req_valid=True)
    c("PATCH", "/contacts/" + c1, {"opted_out": False}, status=200, req_valid=True)
    c("PATCH", "/contacts/" + c1, {"phone": None}, status=422, code="validation_failed", req_valid=False)
    c2ph = ph[:-1] + ("1" if ph[-1] != "1" else "2")
    _, _, c2 = c("POST", "/contacts", {"phone": c2ph, "name": "Han"}, status=201, req_valid=True)
    c("DELETE", "/contacts/" + c2["id"], status=204)

    # groups
    g1 = u + "g1"
    c("POST", "/groups", {"id": g1, "name": "VIP " + u, "description": "Tier 2+"}, status=201, req_valid=True)
    c("POST", "/groups", {"name": "vip " + u}, status=409, code="conflict", req_valid=True)
    c("POST", "/groups", {"name": ""}, status=422, code="validation_failed", req_valid=False)
    c("GET", "/groups?name=" + u, status=200)
    c("HEAD", "/groups", status=200)
    c("GET", "/groups/" + g1, status=200)
    c("HEAD", "/groups/" + g1, status=200)
    c("PATCH", "/groups/" + g1, {"description": None}, status=200, req_valid=True)
    c("POST", "/groups/" + g1 + "/members", {"contact_ids": [c1]}, status=200, req_valid=True)
    c("POST", "/groups/" + g1 + "/members", {"phones": [ph]}, status=200, req_valid=True)
    c("POST", "/groups/" + g1 + "/members", {"contact_ids": ["nobody" + u]}, status=422,
      code="validation_failed", req_valid=True)
    c("POST", "/groups/" + g1 + "/members", {"contact_ids": [c1], "phones": [ph]}, status=422,
      code="validation_failed", req_valid=False)
    c("GET", "/groups/" + g1 + "/members?limit=1", status=200)
    c("HEAD", "/groups/" + g1 + "/members", status=200)
    c("GET", "/groups/nope" + u + "/members", status=404, code="not_found")
    _, _, g2 = c("POST", "/groups", {"name": "tmp " + u}, status=201, req_valid=True)
    c("POST", "/groups/" + g2["id"] + "/members", {"contact_ids": [c1]}, status=200)
    c("DELETE", "/groups/" + g2["id"] + "/members", {"contact_ids": [c1]}, status=200, req_valid=True)
    c("DELETE", "/groups/" + g2["id"], status=204)

    # import
    nd = "\n".join(json.dumps(x) for x in [
        {"phone": ph, "name": "Li Lei", "attributes": {"city": "Suzhou"}},
        {"phone": "+4915%09d" % (int(time.time()) % 1000000000), "name": "Anna"},
        {"phone": "bad"}, {"id": "x", "phone": "+4916000000001"}]) + "\n"
    c("POST", "/contacts/import?group_id=" + g1, raw=nd, ctype="application/x-ndjson", status=200)
    csv = "phone,name,viber_id,attr.city\n%s,Li Lei,,Ningbo\n+4917%09d,Bob,,\n" % (ph, int(time.time()) % 1000000000)
    c("POST", "/contacts/import?on_duplicate=ignore", raw=csv, ctype="text/csv", status=200)
    c("POST", "/contacts/import", raw="phone,colour\n+4917000000000,red\n", ctype="text/csv",
      status=422, code="unknown_field")
    c("POST", "/contacts/import?on_duplicate=merge", raw=nd, ctype="application/x-ndjson",
      status=400, code="invalid_argument")
    c("POST", "/contacts/import?group_id=nope" + u, raw=nd, ctype="application/x-ndjson",
      status=404, code="not_found")
    c("POST", "/contacts/import", raw="{}", ctype="application/json", status=415,
      code="unsupported_media_type")

    # flows: f0 (a target for forward_to_flow), f1 a draft, f2 every node type
    f0, f1, f2 = u + "f0", u + "f1", u + "f2"
    d0 = {"start": "a", "nodes": [{"id": "a", "type": "send_viber", "channel_id": vb,
                                   "category": "promotion", "message": {"type": "text", "text": "hi"}, "next": None}]}
    c("POST", "/flows", {"id": f0, "name": "target", "definition": d0}, status=201, req_valid=True)
    c("POST", "/flows/" + f0 + "/publish", status=200)
    draft = {"start": "x", "nodes": [{"id": "a", "type": "delay"}, {"id": "b", "type": "send_whatsapp",
             "message": {"type": "image"}}]}
    c("POST", "/flows", {"id": f1, "name": "draft", "description": None, "trigger": "whatsapp",
                         "definition": draft}, status=201, req_valid=True)
    c("POST", "/flows", {"name": "x", "definition": {"nodes": [{"id": "a", "type": "end", "next": "b"}]}},
      status=422, code="unknown_field", req_valid=False)
    c("POST", "/flows", {"name": "x", "definition": {"nodes": [{"id": "a", "type": "delay", "seconds": "5"}]}},
      status=422, code="validation_failed", req_valid=False)
    c("POST", "/flows", {"id": "import", "name": "x"}, status=422, code="validation_failed", req_valid=False)
    _, _, e = c("POST", "/flows/" + f1 + "/publish", status=422, code="validation_failed")
    if not (isinstance(e, dict) and e["error"].get("errors")):
        fail("publish of a bad draft listed no errors")
    c("POST", "/flows/" + f1 + "/publish", {"force": True}, status=422, code="unknown_field", req_valid=False)
    c("GET", "/flows/" + f1 + "/preview", status=409, code="invalid_state")
    d2 = {"start": "hello", "nodes": [
        {"id": "hello", "type": "send_whatsapp", "label": "greet", "channel_id": wa,
         "message": {"type": "template", "template": {"name": "promo_1111", "language": "en_US",
                     "body_params": ["{{contact.name}}", "{{contact.attributes.city}}"]}}, "next": "ask"},
        {"id": "ask", "type": "wait_for_reply", "timeout_seconds": 3600, "save_as": "answer",
         "replied": "check", "timeout": "nudge"},
        {"id": "check", "type": "condition", "branches": [
            {"match": "any", "rules": [{"variable": "answer", "op": "string_equals", "value": "YES", "ignore_case": True},
                                       {"variable": "answer", "op": "string_matches_regex", "value": "^y.*"},
                                       {"variable": "answer", "op": "string_is_blank"},
                                       {"variable": "contact.attributes.tier", "op": "number_greater_than", "value": 1},
                                       {"variable": "answer", "op": "date_less_than", "value": "2027-01-01"}],
             "next": "coupon"}], "else": "wait"},
        {"id": "coupon", "type": "http_request", "method": "POST", "url": "https://example.com/coupon",
         "headers": {"X-Campaign": "{{campaign.id}}"}, "body": "{\"phone\": \"{{contact.phone}}\"}",
         "timeout_seconds": 5, "save": {"code": "data.code"}, "next": "setv", "failure": "bye"},
        {"id": "setv", "type": "set_variable", "name": "greeting", "value": "Code {{vars.code}}", "next": "tell"},
        {"id": "tell", "type": "send_viber", "channel_id": vb, "category": "transaction",
         "message": {"type": "text", "text": "{{vars.greeting}}"}, "next": "bye"},
        {"id": "wait", "type": "delay", "seconds": 60, "next": "fwd"},
        {"id": "fwd", "type": "forward_to_flow", "flow_id": f0},
        {"id": "nudge", "type": "jump", "target": "hello", "max_jumps": 1, "next": "bye"},
        {"id": "bye", "type": "end"}]}
    errs = api.doc.errors("/components/schemas/PublishedFlowDefinition", d2)
    if errs:
        fail("a publishable definition does not match PublishedFlowDefinition: %s" % errs[:3])
    if not api.doc.errors("/components/schemas/PublishedFlowDefinition", draft):
        fail("PublishedFlowDefinition accepts a draft that publish refuses")
    c("POST", "/flows", {"id": f2, "name": "Double-11 promo", "trigger": "manual", "definition": d2},
      status=201, req_valid=True)
    c("PATCH", "/flows/" + f2, {"description": "every node type"}, status=200, req_valid=True)
    c("POST", "/flows/" + f2 + "/publish", {}, status=200, req_valid=True)
    c("POST", "/flows/" + f2 + "/publish", status=409, code="invalid_state")
    c("PATCH", "/flows/" + f2, {"trigger": "viber"}, status=409, code="invalid_state", req_valid=True)
    c("PATCH", "/flows/" + f2, {"name": "Double-11", "definition": d2}, status=200, req_valid=True)
    c("DELETE", "/flows/" + f2, status=409, code="invalid_state")
    c("GET", "/flows/" + f2 + "/preview", status=200)
    c("GET", "/flows/" + f2 + "/preview?format=dot", status=200)
    c("GET", "/flows/" + f2 + "/preview?format=svg", status=400, code="invalid_argument")
    c("HEAD", "/flows/" + f2 + "/preview", status=200)
    _, _, doc = c("GET", "/flows/" + f2 + "/export", status=200)
    c("HEAD", "/flows/" + f2 + "/export", status=200)
    _, _, imp = c("POST", "/flows/import", doc, status=201, req_valid=True)
    c("DELETE", "/flows/" + imp["id"], status=204)
    c("GET", "/flows", status=200)
    c("HEAD", "/flows", status=200)
    c("GET", "/flows/" + f2, status=200)
    c("HEAD", "/flows/" + f2, status=200)
    _, _, t = c("POST", "/flows/" + f2 + "/trigger", {"contact_id": c1, "variables": {"code": "X11"}},
                headers={"Idempotency-Key": "t-" + u}, status=202, req_valid=True)
    c("POST", "/flows/" + f2 + "/trigger", {"contact_id": c1, "variables": {"code": "X11"}},
      headers={"Idempotency-Key": "t-" + u}, status=202, req_valid=True)
    c("POST", "/flows/" + f2 + "/trigger", {"contact_id": c1, "variables": {"bad name": "x"}},
      status=422, code="validation_failed", req_valid=False)
    c("POST", "/flows/" + f2 + "/trigger", {"contact_id": "nobody" + u}, status=422,
      code="validation_failed", req_valid=True)
    c("POST", "/flows/" + f1 + "/trigger", {"contact_id": c1}, status=409, code="invalid_state", req_valid=True)
    iid = t.get("instance_id", "none")
    c("GET", "/flows/%s/instances/%s" % (f2, iid), status=200)
    c("HEAD", "/flows/%s/instances/%s" % (f2, iid), status=200)
    c("GET", "/flows/%s/instances/%s" % (f1, iid), status=404, code="not_found")

    # campaigns
    k1 = u + "k1"
    camp = {"id": k1, "name": "Double-11 VIP push", "description": "Coupons for VIPs",
            "flow_id": f2, "group_id": g1, "start_time": "2099-11-11T00:00:00+08:00",
            "end_time": "2099-11-12T00:00:00+08:00", "execution_plan": {"unit": "hour", "every": 6},
            "params": {"code": "X11"}}
    c("POST", "/campaigns", camp, status=201, req_valid=True)
    c("POST", "/campaigns", camp, status=409, code="conflict", req_valid=True)
    bad = dict(camp, id=u + "k2", execution_plan={"unit": "week"})
    c("POST", "/campaigns", bad, status=422, code="validation_failed", req_valid=False)
    bad = dict(camp, id=u + "k2", flow_id=f1)
    c("POST", "/campaigns", bad, status=422, code="validation_failed", req_valid=True)
    bad = dict(camp, id=u + "k2", start_time="2020-01-01T00:00:00Z")
    c("POST", "/campaigns", bad, status=422, code="validation_failed", req_valid=True)
    c("GET", "/campaigns?status=pending,paused&name=VIP&flow_id=%s&group_id=%s" % (f2, g1), status=200)
    c("GET", "/campaigns?status=done", status=400, code="invalid_argument")
    c("HEAD", "/campaigns", status=200)
    c("GET", "/campaigns/" + k1, status=200)
    c("HEAD", "/campaigns/" + k1, status=200)
    c("PATCH", "/campaigns/" + k1, {"execution_plan": {"unit": "day"}, "end_time": "2099-11-20T00:00:00Z"},
      status=200, req_valid=True)
    c("POST", "/campaigns/" + k1 + "/suspend", status=409, code="invalid_state")
    c("GET", "/campaigns/" + k1 + "/stats", status=200)
    c("HEAD", "/campaigns/" + k1 + "/stats", status=200)
    c("GET", "/campaigns/" + k1 + "/messages?run=1&status=failed", status=200)
    c("GET", "/campaigns/" + k1 + "/messages?run=0", status=400, code="invalid_argument")
    c("HEAD", "/campaigns/" + k1 + "/messages", status=200)
    c("GET", "/campaigns/nope" + u + "/stats", status=404, code="not_found")
    c("DELETE", "/groups/" + g1, status=409, code="conflict")
    c("POST", "/flows/" + f2 + "/unpublish", status=409, code="conflict")
    c("DELETE", "/channels/" + wa, status=409, code="conflict")
    c("DELETE", "/campaigns/" + k1, status=204)
    c("POST", "/flows/" + f2 + "/unpublish", {}, status=200, req_valid=True)
    c("POST", "/flows/" + f2 + "/unpublish", status=409, code="invalid_state")
    c("DELETE", "/flows/" + f2, status=204)
    c("DELETE", "/contacts/" + c1, status=204)
    c("DELETE", "/groups/" + g1, status=204)

    # every path takes exactly the methods the document gives it (Allow)
    for tpl, item in api.doc.doc["paths"].items():
        if tpl == "/openapi.json" and not openapi_route:
            continue
        path = re.sub(r"\{[^}]+\}", "x", tpl)
        want = sorted(m.upper() for m in item if m != "parameters")
        st, h, js = api.raw("OPTIONS", path)
        allow = sorted(x.strip() for x in h.get("allow", "").split(",") if x.strip())
        if st != 405 or allow != want:
            fail("OPTIONS %s -> %d, Allow %s; the document has %s" % (path, st, allow, want))
        elif api.doc.errors("/components/schemas/Error", js) or js["error"]["code"] != "method_not_allowed":
            fail("OPTIONS %s: not a method_not_allowed Error: %s" % (path, js))
    for path in ("/nothing", "/channels/x/y", "/flows/x/instances", "/campaigns/x/y/z/w"):
        st, _, js = api.raw("GET", path)
        if st != 404 or api.doc.errors("/components/schemas/Error", js):
            fail("GET %s -> %d %s; expected a not_found Error" % (path, st, js))

    # the document itself
    if openapi_route:
        st, _, served = c("GET", "/openapi.json", status=200)
        if st == 200 and served != api.doc.doc:
            fail("GET /openapi.json is not the document checked")
        c("HEAD", "/openapi.json", status=200)

    if ro is not None:
        st, h, _ = ro.call("POST", "/channels", {"name": "x", "type": "viber"}, status=405, code="read_only")
        if "allow" not in h:
            fail("read_only answer without Allow")
        ro.call("GET", "/health", status=200)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("--ro")
    ap.add_argument("--doc", default=DOC_DEFAULT)
    ap.add_argument("--no-openapi-route", action="store_true",
                    help="the module does not serve /openapi.json yet")
    a = ap.parse_args()

    doc = Doc(a.doc)
    doc.check_schemas()
    api = Api(doc, a.base)
    ro = Api(doc, a.ro) if a.ro else None
    try:
        scenario(api, ro, not a.no_openapi_route)
    except Exception as e:   # a broken answer stops the scenario: say where
        import traceback
        traceback.print_exc()
        fail("the scenario stopped: %r" % e)

    for m, tpl, _, op in doc.ops:
        if (m, tpl) not in exercised and not (a.no_openapi_route and tpl == "/openapi.json"):
            fail("%s %s (%s) was not exercised" % (m, tpl, op["operationId"]))

    print("%d operations, %d exercised, %d failure(s)"
          % (len(doc.ops), len(exercised), len(failures)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
