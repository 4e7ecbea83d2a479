
/*
 * http_request nodes: the call rendered from the instance after the
 * commit, sent through cmp_http, its answer saved into variables.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmp_engine_int.h"
#include "cmp_http.h"


#define CMP_ENGINE_HEADERS   64       /* of an http_request node */


static void cmp_engine_http_done(void *data, long status, const char *body,
    size_t len, const char *error);


/* renders and starts an http_request node's call, after the commit */
void
cmp_engine_http_start(cmp_engine_t *e, cmp_engine_call_t *call)
{
    int                     rc, post;
    char                   *url, *val, *line;
    char                   *lines[CMP_ENGINE_HEADERS];
    size_t                  len, vlen, n, i;
    json_t                 *v, *t;
    cmp_txn_t              *txn;
    cmp_exec_t              x;
    const char             *key, *method;
    cmp_http_req_t         *r;
    cmp_template_ctx_t      tctx;
    const cmp_flow_node_t  *node;

    rc = cmp_store_txn_begin(e->st, NULL, CMP_RDONLY, &txn);
    if (rc != 0) {
        free(call);
        return;
    }

    memset(&x, 0, sizeof(cmp_exec_t));
    x.e = e;
    x.txn = txn;

    if (cmp_engine_load(&x, call->key, call->key_len) != 0) {
        cmp_txn_abort(txn);
        free(call);
        return;
    }

    node = x.flow ? cmp_node_current(x.flow, x.inst) : NULL;

    if (node == NULL || node->type != CMP_NODE_HTTP_REQUEST) {
        cmp_engine_unload(&x);
        cmp_txn_abort(txn);
        free(call);
        return;
    }

    memset(&tctx, 0, sizeof(cmp_template_ctx_t));
    tctx.contact = x.contact;
    tctx.vars = json_object_get(x.inst, "variables");
    tctx.run = json_integer_value(json_object_get(x.inst, "run"));

    if (x.campaign != NULL) {
        tctx.campaign_id = json_string_value(json_object_get(x.campaign,
                                                             "id"));
        tctx.campaign_name = json_string_value(json_object_get(x.campaign,
                                                               "name"));
        tctx.group_id = json_string_value(json_object_get(x.campaign,
                                                          "group_id"));
    }

    v = json_object_get(node->json, "url");
    url = cmp_template_render(json_string_value(v) ? json_string_value(v)
                                                   : "",
                              json_string_length(v), &tctx, &len);

    method = json_string_value(json_object_get(node->json, "method"));
    post = (method != NULL && strcmp(method, "POST") == 0);
    t = json_object_get(node->json, "timeout_seconds");

    r = (url != NULL) ? cmp_http_new(e->http, &e->owner) : NULL;

    v = json_object_get(node->json, "body");

    if (r != NULL && post && json_is_string(v)) {
        val = cmp_template_render(json_string_value(v),
                                  json_string_length(v), &tctx, &vlen);
        if (val != NULL) {
            cmp_text_add(&r->body, val, vlen);
            free(val);
        }
    }

    n = 0;

    json_object_foreach(json_object_get(node->json, "headers"), key, v) {
        if (n == CMP_ENGINE_HEADERS) {
            break;
        }

        val = json_is_string(v)
              ? cmp_template_render(json_string_value(v),
                                    json_string_length(v), &tctx, &vlen)
              : NULL;

        line = malloc(strlen(key) + (val ? vlen : 0) + 3);

        if (line != NULL) {
            sprintf(line, "%s: %s", key, val ? val : "");
            lines[n++] = line;
        }

        free(val);
    }

    cmp_engine_unload(&x);
    cmp_txn_abort(txn);

    rc = -1;

    if (r != NULL) {
        r->ctx = call;
        rc = cmp_http_prepare(r, url, post, NULL, (const char *const *) lines,
                              n, json_is_integer(t)
                                 ? (long) json_integer_value(t) : 5);
    }

    for (i = 0; i < n; i++) {
        free(lines[i]);
    }

    free(url);

    if (rc != 0) {
        if (r != NULL) {
            cmp_http_free(e->http, r);
        }

        cmp_engine_http_done(call, 0, NULL, 0, "the request could not start");
        return;
    }

    cmp_http_submit(e->http, r);
}


/* answers of http_request nodes, each in a txn of its own */
void
cmp_engine_http_answers(void *data, cmp_http_req_t *reqs)
{
    cmp_engine_t *e = data;

    cmp_http_req_t  *r;

    while (reqs != NULL) {
        r = reqs;
        reqs = r->next;

        cmp_engine_http_done(r->ctx, r->status, r->answer.data,
                             r->answer.len, r->error);
        cmp_http_free(e->http, r);
    }
}


static void
cmp_engine_http_done(void *data, long status, const char *body, size_t len,
    const char *error)
{
    cmp_engine_call_t *call = data;

    int                     rc, ok;
    char                    err[64];
    json_t                 *answer;
    cmp_txn_t              *txn;
    cmp_exec_t              x;
    cmp_engine_t           *e;
    const cmp_flow_node_t  *node;

    e = call->e;
    answer = NULL;
    ok = (error == NULL && status >= 200 && status < 300);

    if (ok) {
        answer = cmp_json_parse(body ? body : "", len, err, sizeof(err));
        ok = (answer != NULL);
    }

    rc = cmp_store_txn_begin(e->st, NULL, 0, &txn);
    if (rc != 0) {
        json_decref(answer);
        free(call);
        return;
    }

    memset(&x, 0, sizeof(cmp_exec_t));
    x.e = e;
    x.txn = txn;
    x.now = time(NULL);

    rc = cmp_engine_load(&x, call->key, call->key_len);

    if (rc == 0) {
        node = x.flow ? cmp_node_current(x.flow, x.inst) : NULL;

        if (cmp_engine_live(x.inst) && node != NULL
            && node->type == CMP_NODE_HTTP_REQUEST)
        {
            rc = cmp_engine_clear_timer(&x);

            if (rc == 0) {
                rc = cmp_node_resume(x.flow, x.inst,
                                     ok ? CMP_EVENT_HTTP_OK
                                        : CMP_EVENT_HTTP_FAIL, NULL, answer)
                     ? cmp_engine_run(&x) : cmp_engine_finish(&x);
            }
        }

        cmp_engine_unload(&x);
    }

    if (rc == 0 || rc == CMP_NOTFOUND) {
        rc = cmp_txn_commit(txn);

    } else {
        cmp_txn_abort(txn);
    }

    if (rc != 0) {
        cmp_log_error(e->log, CMP_LOG_ERR, "http_request outcome not "
                      "recorded: %s", cmp_strerror(rc));
    }

    json_decref(answer);
    free(call);
}
