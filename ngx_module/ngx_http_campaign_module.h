
/*
 * The campaign module's shared declarations: configuration, the request
 * context, routes, and the functions its files provide to each other.
 */


#ifndef _NGX_HTTP_CAMPAIGN_MODULE_H_INCLUDED_
#define _NGX_HTTP_CAMPAIGN_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#if (NGX_THREADS)
#include <ngx_thread_pool.h>
#endif

#include <jansson.h>

#include "cmp_store.h"
#include "cmp_record.h"
#include "cmp_meta.h"
#include "cmp_index.h"
#include "cmp_secret.h"
#include "cmp_op.h"
#include "cmp_provider.h"


#define NGX_HTTP_CAMPAIGN_WRITE_METHODS                                       \
    (NGX_HTTP_POST|NGX_HTTP_PUT|NGX_HTTP_PATCH|NGX_HTTP_DELETE)

#define NGX_HTTP_CAMPAIGN_BODY_JSON     0x01
#define NGX_HTTP_CAMPAIGN_BODY_NDJSON   0x02
#define NGX_HTTP_CAMPAIGN_BODY_CSV      0x04

/* seconds between two log lines of a full store */
#define NGX_HTTP_CAMPAIGN_FULL_LOG_EVERY  10

/*
 * A list filter that matches little reads at most this many records it
 * refuses a request; then the page ends, short of its limit or empty,
 * with a cursor, so the event loop's work stays that of one full page
 * however rare the match.
 */
#define NGX_HTTP_CAMPAIGN_SCAN_MAX  1000


typedef struct ngx_http_campaign_ctx_s  ngx_http_campaign_ctx_t;

typedef ngx_int_t (*ngx_http_campaign_read_pt)(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx);
typedef int (*ngx_http_campaign_match_pt)(void *data,
    const cmp_record_t *rec);


typedef struct {
    ngx_queue_t                  queue;     /* ops waiting for a batch */
    ngx_queue_t                  batch;     /* ops the thread commits */
    ngx_uint_t                   busy;
    ngx_uint_t                   max_batch; /* ops per transaction */
    cmp_store_t                 *store;
    ngx_event_t                  gather;    /* starts the next batch */
    ngx_event_t                  guard;     /* keeps an exiting worker */
    ngx_shm_zone_t              *metrics;   /* each commit counted there */
#if (NGX_THREADS)
    ngx_thread_pool_t           *thread_pool;
    ngx_thread_task_t           *task;
    ngx_thread_mutex_t           mutex;     /* the queue, while busy */
    ngx_uint_t                   mutex_ok;
#endif
} ngx_http_campaign_writer_t;


typedef struct {
    ngx_str_t                    store_path;
    size_t                       max_size;
    ngx_str_t                    thread_pool_name;
    ngx_flag_t                   used;       /* some location needs it */
    ngx_str_t                    used_by;    /* the first directive that */
    ngx_str_t                    used_file;  /* needs it, where it is */
    ngx_uint_t                   used_line;

    /* per worker, from init_process on */
    cmp_store_t                  store;
    ngx_flag_t                   store_ok;
    cmp_txn_t                   *read_txn;
    ngx_http_campaign_writer_t   writer;
    ngx_uint_t                   imports;   /* chunks in the pool */

    /* a full store is logged once an interval (reply.c) */
    time_t                       full_logged;
    ngx_uint_t                   full_refused;

    /* API answers by class, counted by every worker (metrics.c) */
    ngx_shm_zone_t              *metrics_zone;
} ngx_http_campaign_main_conf_t;


typedef struct {
    ngx_flag_t                   api;
    ngx_flag_t                   write;
    ngx_str_t                    prefix;

    /* campaign_webhook: its provider, NULL when not */
    const cmp_provider_t        *webhook;
    ngx_str_t                    webhook_channel;

    /* campaign_console: where its API answers, and its own prefix */
    ngx_str_t                    console_api;
    ngx_str_t                    console_prefix;
} ngx_http_campaign_loc_conf_t;


typedef struct {
    ngx_str_t                    collection;
    ngx_str_t                    action;
    ngx_uint_t                   item;       /* path carries an id (1), */
                                             /* an id and a sub id (2) */
    ngx_uint_t                   method;
    ngx_uint_t                   body;       /* accepted content types */
    ngx_http_campaign_read_pt    read;       /* answered on the event loop */
    cmp_op_pt                    write;      /* run by the writer */
    const cmp_kind_t            *kind;
} ngx_http_campaign_route_t;


struct ngx_http_campaign_ctx_s {
    ngx_http_campaign_route_t   *route;
    ngx_str_t                    id;
    ngx_str_t                    sub_id;
    ngx_str_t                    body;
    ngx_uint_t                   body_type;

    cmp_op_t                     op;
    ngx_queue_t                  queue;      /* in the writer */
    ngx_http_request_t          *request;

    ngx_buf_t                   *error_body; /* nginx's error, as JSON */
    unsigned                     replying:1;
    unsigned                     error_sent:1;
    unsigned                     map_retried:1; /* ran again, grown map */
};


#define ngx_http_campaign_route(coll, act, item, m, body, read, write, kind)  \
    { ngx_string(coll), ngx_string(act), item, m, body, read, write, kind }

#define ngx_http_campaign_null_route                                          \
    { ngx_null_string, ngx_null_string, 0, 0, 0, NULL, NULL, NULL }


typedef struct {
    u_char                      *start;
    u_char                      *last;
    u_char                      *end;
    ngx_pool_t                  *pool;
} ngx_http_campaign_text_t;


extern ngx_module_t  ngx_http_campaign_module;

/* each resource's routes live beside its code; the api walks them all */
extern ngx_http_campaign_route_t  ngx_http_campaign_channel_routes[];
extern ngx_http_campaign_route_t  ngx_http_campaign_contact_routes[];
extern ngx_http_campaign_route_t  ngx_http_campaign_group_routes[];
extern ngx_http_campaign_route_t  ngx_http_campaign_flow_routes[];
extern ngx_http_campaign_route_t  ngx_http_campaign_campaign_routes[];


void ngx_http_campaign_need_store(ngx_conf_t *cf);
ngx_int_t ngx_http_campaign_api_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_campaign_collect_body(ngx_http_request_t *r,
    ngx_str_t *body);

/* the directives of webhook.c, metrics.c and console.c, and their needs */
char *ngx_http_campaign_webhook(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_campaign_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_campaign_console(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_campaign_metrics_zone(ngx_conf_t *cf,
    ngx_http_campaign_main_conf_t *mcf);
ngx_int_t ngx_http_campaign_metrics_init(ngx_conf_t *cf);
void ngx_http_campaign_metrics_commit(ngx_shm_zone_t *zone, ngx_uint_t writes,
    uint64_t lock_wait_us, uint64_t write_us, uint64_t commit_us);
void ngx_http_campaign_webhook_log(ngx_http_request_t *r);
void ngx_http_campaign_webhook_exit(void);

ngx_int_t ngx_http_campaign_send(ngx_http_request_t *r, ngx_uint_t status,
    u_char *body, size_t len, uint64_t version);
ngx_int_t ngx_http_campaign_send_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *code, const char *field,
    const char *fmt, ...);
ngx_int_t ngx_http_campaign_send_json(ngx_http_request_t *r,
    ngx_uint_t status, json_t *json, uint64_t version);
ngx_int_t ngx_http_campaign_send_static(ngx_http_request_t *r,
    const ngx_str_t *type, const ngx_str_t *etag, const u_char *data,
    size_t len);
ngx_table_elt_t *ngx_http_campaign_add_header(ngx_http_request_t *r,
    const char *name, u_char *value, size_t len);
ngx_int_t ngx_http_campaign_send_op(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx);
ngx_int_t ngx_http_campaign_filter_init(ngx_conf_t *cf);

ngx_int_t ngx_http_campaign_writer_post(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx);
void ngx_http_campaign_writer_init(ngx_http_campaign_main_conf_t *mcf);

ngx_int_t ngx_http_campaign_store_adopt(ngx_log_t *log);
cmp_txn_t *ngx_http_campaign_read_begin(ngx_http_request_t *r);
void ngx_http_campaign_read_end(ngx_http_request_t *r);
ngx_int_t ngx_http_campaign_read_record(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx);
ngx_int_t ngx_http_campaign_read_list(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx);
ngx_int_t ngx_http_campaign_read_list_match(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx, ngx_http_campaign_match_pt match,
    void *data);
ngx_int_t ngx_http_campaign_limit_arg(ngx_http_request_t *r,
    ngx_uint_t *limit);
ngx_int_t ngx_http_campaign_page_args(ngx_http_request_t *r,
    ngx_uint_t *limit, uint64_t *before, const char **field,
    const char **message);
ngx_int_t ngx_http_campaign_page_start(ngx_http_request_t *r,
    ngx_http_campaign_text_t *text);
ngx_int_t ngx_http_campaign_page_item(ngx_http_campaign_text_t *text,
    ngx_uint_t n, const char *json, size_t len);
int ngx_http_campaign_page_refuse(ngx_uint_t *refused, uint64_t seq,
    uint64_t *last_seq, ngx_uint_t *more);
ngx_int_t ngx_http_campaign_page_send(ngx_http_request_t *r,
    ngx_http_campaign_text_t *text, ngx_uint_t more, uint64_t last_seq);
ngx_int_t ngx_http_campaign_read_health(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx);

/* a page of a list ordered by a key (name, contact id), not by creation */
typedef struct {
    ngx_http_campaign_text_t     text;
    ngx_uint_t                   limit;
    ngx_uint_t                   count;
    ngx_uint_t                   more;
    ngx_uint_t                   error;
    u_char                       last[384];
    size_t                       last_len;
} ngx_http_campaign_key_page_t;


/* paging and query helpers of lists that are not creation-ordered */
int ngx_http_campaign_key_page_visit(void *data, const char *key,
    size_t key_len, const cmp_record_t *rec);
ngx_int_t ngx_http_campaign_key_page_args(ngx_http_request_t *r,
    ngx_http_campaign_key_page_t *page, u_char *after, size_t size,
    size_t *after_len, const char **field, const char **message);
ngx_int_t ngx_http_campaign_query_arg(ngx_http_request_t *r,
    const char *name, ngx_uint_t plus_space, ngx_str_t *value);
ngx_int_t ngx_http_campaign_arg_refused(ngx_http_request_t *r,
    const char *name);
ngx_int_t ngx_http_campaign_key_page_send(ngx_http_request_t *r, int rc,
    ngx_http_campaign_text_t *text, ngx_uint_t error, ngx_uint_t more,
    u_char *last, size_t last_len);

ngx_int_t ngx_http_campaign_text_init(ngx_http_campaign_text_t *t,
    ngx_pool_t *pool, size_t size);
ngx_int_t ngx_http_campaign_text_add(ngx_http_campaign_text_t *t,
    const u_char *data, size_t len);


#endif /* _NGX_HTTP_CAMPAIGN_MODULE_H_INCLUDED_ */
