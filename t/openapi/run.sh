#!/bin/bash
# make test-openapi: the OpenAPI document against the module — its routes
# against the route tables, then every operation exercised on a test nginx
# and every answer checked against the document's schemas.
#
#     run.sh nginx-binary module.so

set -eu

NGINX=$1
MODULE=$2
TOP=$(cd "$(dirname "$0")/../.." && pwd)
ROOT=$TOP/t/servroot-openapi
PORT=${OPENAPI_TEST_PORT:-1996}

/usr/bin/python3 "$TOP/t/openapi/check_routes.py"

rm -rf "$ROOT"
mkdir -p "$ROOT/conf" "$ROOT/logs" "$ROOT/store"

cat > "$ROOT/conf/nginx.conf" <<_EOC_
load_module $MODULE;
daemon on;
error_log logs/error.log info;
pid logs/nginx.pid;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path body;
    campaign_store store;
    server {
        listen 127.0.0.1:$PORT;
        location /api/ { campaign_api write=on; }
        location /ro/ { campaign_api; }
    }
}
_EOC_

"$NGINX" -p "$ROOT/" -c conf/nginx.conf
trap '"$NGINX" -p "$ROOT/" -c conf/nginx.conf -s stop' EXIT

for _ in $(seq 50); do
    curl -sf -o /dev/null "http://127.0.0.1:$PORT/api/health" && break
    sleep 0.1
done

/usr/bin/python3 "$TOP/t/openapi/check_bodies.py" \
    "http://127.0.0.1:$PORT/api" --ro "http://127.0.0.1:$PORT/ro"
