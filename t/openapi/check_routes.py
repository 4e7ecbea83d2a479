#!/usr/bin/python3
"""
Every route the module answers is in the OpenAPI document, and every path
and method of the document is a route: the route tables of ngx_module/*.c,
read as the C compiler reads them, against the document's paths.

    /usr/bin/python3 t/openapi/check_routes.py

Exits 1 and names each difference.
"""

import glob
import json
import os
import re
import sys

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DOC = os.path.join(TOP, "ngx_module", "ngx_http_campaign_openapi.json")

# ngx_http_campaign_route(collection, action, item, methods, ...)
ROUTE = re.compile(r'ngx_http_campaign_route\(\s*"([^"]*)"\s*,\s*"([^"]*)"'
                   r'\s*,\s*(\d)\s*,\s*([A-Z_|\s]+),')


def module_routes():
    routes = set()
    for path in glob.glob(os.path.join(TOP, "ngx_module", "*.c")):
        with open(path, encoding="utf-8") as f:
            for coll, action, item, methods in ROUTE.findall(f.read()):
                # an id, or an id and a sub id (the path's last segment)
                parts = ["", coll] + ["{}"] * min(int(item), 1)
                if action:
                    parts.append(action)
                if item == "2":
                    parts.append("{}")
                for m in methods.split("|"):
                    routes.add((m.strip().replace("NGX_HTTP_", ""),
                                "/".join(parts)))
    return routes


def document_routes():
    with open(DOC, encoding="utf-8") as f:
        doc = json.load(f)
    routes = set()
    for tpl, item in doc["paths"].items():
        shape = re.sub(r"\{[^}]+\}", "{}", tpl)
        for method in item:
            if method in ("get", "head", "post", "put", "patch", "delete"):
                routes.add((method.upper(), shape))
    return routes


def main():
    ours, documented = module_routes(), document_routes()
    if not ours:
        print("FAIL: no routes found in ngx_module/*.c")
        return 1

    for m, p in sorted(ours - documented):
        print("FAIL: the module answers %s %s; the document lacks it" % (m, p))
    for m, p in sorted(documented - ours):
        print("FAIL: the document has %s %s; the module answers no such route"
              % (m, p))

    if ours != documented:
        return 1

    print("ok: %d routes, the same in the module and the document"
          % len(ours))
    return 0


if __name__ == "__main__":
    sys.exit(main())
