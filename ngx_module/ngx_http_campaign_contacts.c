
/*
 * /contacts: CRUD through the writer, lookups by phone and name prefix on
 * the event loop, and the bulk import, streamed from nginx's body buffers.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_campaign_module.h"
#include "cmp_contact.h"
#include "cmp_import.h"
#include "cmp_phone.h"
#include "cmp_validate.h"


/*
 * A chunk is one write transaction: small enough to keep the write lock
 * short for other writers, big enough that its fsync is amortized.
 */
#define NGX_HTTP_CAMPAIGN_IMPORT_CHUNK     5000
#define NGX_HTTP_CAMPAIGN_IMPORT_PIECE     (256 * 1024)
#define NGX_HTTP_CAMPAIGN_REJECTS_LISTED   100

/* how long a chunk the map refused waits for the pool's other txns */
#define NGX_HTTP_CAMPAIGN_IMPORT_MAP_WAIT   10
#define NGX_HTTP_CAMPAIGN_IMPORT_MAP_WAITS  100


/*
 * Where a chunk began in the body, so that a chunk the map refused can
 * run again once another process grew it.  A chunk begins after a whole
 * record, so the line reader holds no partial line: a copy is enough.
 */
typedef struct {
    ngx_chain_t                *cl;
    off_t                       file_pos;
    off_t                       piece_pos;   /* -1: pos is not in piece */
    size_t                      piece_len;
    const char                 *pos;
    const char                 *last;
    cmp_lines_t                 lines;
    unsigned                    mem_done:1;
    unsigned                    body_done:1;
    unsigned                    header_done:1;
    uint64_t                    rejected_total;
    size_t                      rejected_listed;
    size_t                      map_size;
} ngx_http_campaign_import_mark_t;


typedef struct {
    ngx_http_request_t         *request;
    cmp_store_t                *store;

    /* where in the body the parser is */
    ngx_chain_t                *cl;
    off_t                       file_pos;
    off_t                       piece_pos;   /* where piece was read from */
    unsigned                    mem_done:1;
    unsigned                    body_done:1;
    u_char                     *piece;
    const char                 *pos;
    const char                 *last;
    cmp_lines_t                 lines;
    char                       *scratch;
    cmp_csv_header_t           *header;
    ngx_uint_t                  data_lines;

    unsigned                    csv:1;
    unsigned                    header_done:1;
    unsigned                    ignore:1;
    unsigned                    eof:1;
    char                        group_id[CMP_ID_MAX + 1];
    size_t                      group_id_len;

    uint64_t                    created;
    uint64_t                    updated;
    uint64_t                    unchanged;
    uint64_t                    ignored;
    uint64_t                    rejected_total;
    json_t                     *rejected;

    ngx_http_campaign_import_mark_t   mark;
    unsigned                    map_retried:1;
    unsigned                    map:1;        /* the failure is the map's */
    ngx_uint_t                  map_waits;
    ngx_event_t                 map_wait;

    /* a failure that stops the import */
    ngx_uint_t                  status;
    const char                 *code;
    char                        field[CMP_CSV_NAME_MAX + 1];
    char                        message[256];

#if (NGX_THREADS)
    ngx_thread_task_t          *task;
#endif
} ngx_http_campaign_import_t;




static ngx_int_t ngx_http_campaign_contacts_list(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx);
static ngx_int_t ngx_http_campaign_contacts_by_phone(ngx_http_request_t *r,
    ngx_str_t *phone);
static ngx_int_t ngx_http_campaign_contacts_by_name(ngx_http_request_t *r,
    ngx_str_t *q);
static ngx_int_t ngx_http_campaign_contacts_import(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx);
static ngx_int_t ngx_http_campaign_import_args(ngx_http_request_t *r,
    ngx_http_campaign_import_t *imp);
static void ngx_http_campaign_import_body(ngx_http_request_t *r);
static void ngx_http_campaign_import_next(ngx_http_campaign_import_t *imp);
static void ngx_http_campaign_import_chunk(void *data, ngx_log_t *log);
#if (NGX_THREADS)
static void ngx_http_campaign_import_done(ngx_event_t *ev);
#endif
static void ngx_http_campaign_import_finish(ngx_http_campaign_import_t *imp);
static int ngx_http_campaign_import_read(ngx_http_campaign_import_t *imp,
    cmp_import_rec_t *rec);
static ngx_int_t ngx_http_campaign_hex_arg(ngx_http_request_t *r,
    const char *name, u_char *buf, size_t size, size_t *len);
static int ngx_http_campaign_import_piece(ngx_http_campaign_import_t *imp);
static void ngx_http_campaign_import_record(ngx_http_campaign_import_t *imp,
    cmp_contact_import_t *ci, cmp_import_rec_t *rec);
static void ngx_http_campaign_import_reject(ngx_http_campaign_import_t *imp,
    uint64_t line, const char *error);
static void ngx_http_campaign_import_mark(ngx_http_campaign_import_t *imp);
static ngx_int_t ngx_http_campaign_import_again(
    ngx_http_campaign_import_t *imp, ngx_int_t adopted);
static void ngx_http_campaign_import_map_wait(ngx_event_t *ev);
static void ngx_http_campaign_import_store_error(
    ngx_http_campaign_import_t *imp, cmp_op_t *op, int rc);
static void ngx_http_campaign_import_failed(ngx_http_campaign_import_t *imp,
    cmp_op_t *op);
static void ngx_http_campaign_import_fail(ngx_http_campaign_import_t *imp,
    ngx_uint_t status, const char *code, const char *field,
    const char *message);
static void ngx_http_campaign_import_cleanup(void *data);


ngx_http_campaign_route_t  ngx_http_campaign_contact_routes[] = {

    ngx_http_campaign_route("contacts", "", 0, NGX_HTTP_GET|NGX_HTTP_HEAD, 0,
                            ngx_http_campaign_contacts_list, NULL,
                            &cmp_kind_contacts),

    ngx_http_campaign_route("contacts", "", 0, NGX_HTTP_POST,
                            NGX_HTTP_CAMPAIGN_BODY_JSON, NULL,
                            cmp_contact_create, &cmp_kind_contacts),

    /* a body but no op: the import reads its body itself, as a stream */
    ngx_http_campaign_route("contacts", "import", 0, NGX_HTTP_POST,
                            NGX_HTTP_CAMPAIGN_BODY_NDJSON
                            |NGX_HTTP_CAMPAIGN_BODY_CSV,
                            ngx_http_campaign_contacts_import, NULL,
                            &cmp_kind_contacts),

    ngx_http_campaign_route("contacts", "", 1, NGX_HTTP_GET|NGX_HTTP_HEAD, 0,
                            ngx_http_campaign_read_record, NULL,
                            &cmp_kind_contacts),

    ngx_http_campaign_route("contacts", "", 1, NGX_HTTP_PATCH,
                            NGX_HTTP_CAMPAIGN_BODY_JSON, NULL,
                            cmp_contact_update, &cmp_kind_contacts),

    ngx_http_campaign_route("contacts", "", 1, NGX_HTTP_DELETE, 0, NULL,
                            cmp_contact_delete, &cmp_kind_contacts),

    ngx_http_campaign_null_route
};


/* ?phone= and ?q= are lookups by index; without them, the generic list */
static ngx_int_t
ngx_http_campaign_contacts_list(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx)
{
    ngx_int_t  rc;
    ngx_str_t  value;

    rc = ngx_http_campaign_query_arg(r, "phone", 0, &value);

    if (rc == NGX_OK) {
        return ngx_http_campaign_contacts_by_phone(r, &value);
    }

    if (rc == NGX_ABORT) {
        return ngx_http_campaign_arg_refused(r, "phone");
    }

    rc = ngx_http_campaign_query_arg(r, "q", 1, &value);

    if (rc == NGX_OK) {
        return ngx_http_campaign_contacts_by_name(r, &value);
    }

    if (rc == NGX_ABORT) {
        return ngx_http_campaign_arg_refused(r, "q");
    }

    return ngx_http_campaign_read_list(r, ctx);
}


static ngx_int_t
ngx_http_campaign_contacts_by_phone(ngx_http_request_t *r, ngx_str_t *phone)
{
    u_char                         *p;
    int                             rc;
    char                            id[CMP_ID_MAX + 1];
    size_t                          id_len, len;
    cmp_txn_t                      *txn;
    cmp_record_t                    rec;
    ngx_http_campaign_main_conf_t  *mcf;

    if (!cmp_phone_valid((char *) phone->data, phone->len)) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_BAD_REQUEST,
                   "invalid_argument", "phone",
                   "phone must be E.164: + then 8 to 15 digits "
                   "(write + as %%2B if your client turns it into a space)");
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    txn = ngx_http_campaign_read_begin(r);
    if (txn == NULL) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL, "cannot read the store");
    }

    rc = cmp_index_get(&mcf->store, txn, "phone", (char *) phone->data,
                       phone->len, id, &id_len);

    if (rc == 0) {
        rc = cmp_record_get(&mcf->store, txn, &cmp_kind_contacts, id, id_len,
                            &rec);
    }

    if (rc != 0 && rc != CMP_NOTFOUND) {
        ngx_http_campaign_read_end(r);
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL, "store error: %s",
                   cmp_strerror(rc));
    }

    len = sizeof("{\"items\":[],\"next_cursor\":null}") - 1
          + (rc == 0 ? rec.len : 0);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        ngx_http_campaign_read_end(r);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == 0) {
        ngx_sprintf(p, "{\"items\":[%*s],\"next_cursor\":null}",
                    rec.len, rec.json);

    } else {
        ngx_memcpy(p, "{\"items\":[],\"next_cursor\":null}", len);
    }

    ngx_http_campaign_read_end(r);

    return ngx_http_campaign_send(r, NGX_HTTP_OK, p, len, 0);
}


/* name prefix, case-insensitive for ASCII, in name order */
static ngx_int_t
ngx_http_campaign_contacts_by_name(ngx_http_request_t *r, ngx_str_t *q)
{
    int                             rc;
    u_char                          after[CMP_FOLD_MAX + 1 + CMP_ID_MAX];
    size_t                          after_len;
    cmp_txn_t                      *txn;
    ngx_int_t                       n;
    const char                     *field, *message;
    ngx_http_campaign_key_page_t    page;
    ngx_http_campaign_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    n = ngx_http_campaign_key_page_args(r, &page, after, sizeof(after),
                                        &after_len, &field, &message);
    if (n == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (n != NGX_OK) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid_argument", field,
                                            "%s", message);
    }

    txn = ngx_http_campaign_read_begin(r);
    if (txn == NULL) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL, "cannot read the store");
    }

    rc = cmp_contact_name_walk(&mcf->store, txn, (char *) q->data, q->len,
                               after_len ? (char *) after : NULL,
                               after_len, ngx_http_campaign_key_page_visit,
                               &page);

    ngx_http_campaign_read_end(r);

    return ngx_http_campaign_key_page_send(r, rc, &page.text, page.error,
                                           page.more, page.last,
                                           page.last_len);
}


int
ngx_http_campaign_key_page_visit(void *data, const char *key, size_t key_len,
    const cmp_record_t *rec)
{
    ngx_http_campaign_key_page_t *page = data;

    if (page->count == page->limit) {
        page->more = 1;
        return 1;
    }

    if (key_len > sizeof(page->last)
        || ngx_http_campaign_page_item(&page->text, page->count, rec->json,
                                       rec->len)
           != NGX_OK)
    {
        page->error = 1;
        return 1;
    }

    ngx_memcpy(page->last, key, key_len);
    page->last_len = key_len;
    page->count++;

    return 0;
}


/*
 * Sends a page: items were added to text already; the cursor is the
 * position of the last item, hex-encoded so it survives any query string.
 */
ngx_int_t
ngx_http_campaign_key_page_send(ngx_http_request_t *r, int rc,
    ngx_http_campaign_text_t *text, ngx_uint_t error, ngx_uint_t more,
    u_char *last, size_t last_len)
{
    u_char  *p, *end;

    if (error) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != 0) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL, "store error: %s",
                   cmp_strerror(rc));
    }

    p = ngx_pnalloc(r->pool,
                    sizeof("],\"next_cursor\":\"\"}") + 2 * last_len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (more) {
        end = ngx_cpymem(p, "],\"next_cursor\":\"", 17);
        end = ngx_hex_dump(end, last, last_len);
        end = ngx_cpymem(end, "\"}", 2);

    } else {
        end = ngx_cpymem(p, "],\"next_cursor\":null}", 21);
    }

    if (ngx_http_campaign_text_add(text, p, end - p) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_campaign_send(r, NGX_HTTP_OK, text->start,
                                  text->last - text->start, 0);
}


/*
 * limit and cursor of a key-ordered list, and the page's opening; the
 * cursor is a hex key position (*after_len 0: from the start).
 */
ngx_int_t
ngx_http_campaign_key_page_args(ngx_http_request_t *r,
    ngx_http_campaign_key_page_t *page, u_char *after, size_t size,
    size_t *after_len, const char **field, const char **message)
{
    ngx_memzero(page, sizeof(ngx_http_campaign_key_page_t));

    if (ngx_http_campaign_limit_arg(r, &page->limit) != NGX_OK) {
        *field = "limit";
        *message = "limit must be an integer from 1 to 1000";
        return NGX_DECLINED;
    }

    if (ngx_http_campaign_hex_arg(r, "cursor", after, size, after_len)
        == NGX_ERROR)
    {
        *field = "cursor";
        *message = "cursor is not one this API gave out";
        return NGX_DECLINED;
    }

    if (ngx_http_campaign_page_start(r, &page->text) != NGX_OK) {
        *field = NULL;
        *message = "out of memory";
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* NGX_OK, NGX_DECLINED when absent, NGX_ERROR when not our hex */
static ngx_int_t
ngx_http_campaign_hex_arg(ngx_http_request_t *r, const char *name,
    u_char *buf, size_t size, size_t *len)
{
    size_t     i;
    ngx_int_t  hi, lo;
    ngx_str_t  value;

    *len = 0;

    if (ngx_http_arg(r, (u_char *) name, ngx_strlen(name), &value)
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    if (value.len == 0 || value.len % 2 || value.len / 2 > size) {
        return NGX_ERROR;
    }

    for (i = 0; i < value.len; i += 2) {
        if ((value.data[i] >= 'A' && value.data[i] <= 'F')
            || (value.data[i + 1] >= 'A' && value.data[i + 1] <= 'F'))
        {
            return NGX_ERROR;
        }

        hi = ngx_hextoi(&value.data[i], 1);
        lo = ngx_hextoi(&value.data[i + 1], 1);

        if (hi == NGX_ERROR || lo == NGX_ERROR) {
            return NGX_ERROR;
        }

        buf[i / 2] = (u_char) (hi * 16 + lo);
    }

    *len = value.len / 2;

    return NGX_OK;
}


/* ------------------------------------------------------------ import */


static ngx_int_t
ngx_http_campaign_contacts_import(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx)
{
    ngx_int_t                       rc;
    ngx_str_t                       ct;
    ngx_uint_t                      i;
    ngx_pool_cleanup_t             *cln;
    ngx_http_campaign_import_t     *imp;
    ngx_http_campaign_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    imp = ngx_pcalloc(r->pool, sizeof(ngx_http_campaign_import_t));
    if (imp == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    imp->request = r;
    imp->store = &mcf->store;
    imp->file_pos = -1;
    imp->piece_pos = -1;

    ngx_str_null(&ct);

    if (r->headers_in.content_type != NULL) {
        ct = r->headers_in.content_type->value;

        for (i = 0; i < ct.len; i++) {
            if (ct.data[i] == ';' || ct.data[i] == ' ') {
                ct.len = i;
                break;
            }
        }
    }

    if (ct.len == sizeof("text/csv") - 1
        && ngx_strncasecmp(ct.data, (u_char *) "text/csv", ct.len) == 0)
    {
        imp->csv = 1;

    } else if (!(ct.len == sizeof("application/x-ndjson") - 1
                 && ngx_strncasecmp(ct.data,
                                    (u_char *) "application/x-ndjson",
                                    ct.len) == 0))
    {
        ngx_http_discard_request_body(r);
        return ngx_http_campaign_send_error(r,
                   NGX_HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                   NULL, "Content-Type must be application/x-ndjson or "
                   "text/csv");
    }

    /* refuse before a large body is read, not after */
    rc = ngx_http_campaign_import_args(r, imp);

    /* a refusal was sent (its rc is the output's, often NGX_OK) */
    if (rc != NGX_OK || ctx->replying) {
        ngx_http_discard_request_body(r);
        return rc;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    imp->piece = ngx_pnalloc(r->pool, NGX_HTTP_CAMPAIGN_IMPORT_PIECE);
    imp->rejected = json_array();

    if (imp->piece == NULL || imp->rejected == NULL
        || cmp_lines_init(&imp->lines, imp->csv, CMP_IMPORT_RECORD_MAX) != 0)
    {
        json_decref(imp->rejected);
        imp->rejected = NULL;
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_campaign_import_cleanup;
    cln->data = imp;

    if (imp->csv) {
        imp->scratch = ngx_pnalloc(r->pool, CMP_IMPORT_RECORD_MAX);
        imp->header = ngx_pcalloc(r->pool, sizeof(cmp_csv_header_t));

        if (imp->scratch == NULL || imp->header == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

#if (NGX_THREADS)
    if (mcf->writer.thread_pool != NULL) {
        imp->task = ngx_thread_task_alloc(r->pool, 0);
        if (imp->task == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        imp->task->ctx = imp;
        imp->task->handler = ngx_http_campaign_import_chunk;
        imp->task->event.handler = ngx_http_campaign_import_done;
        imp->task->event.data = imp->task;
    }
#endif

    ctx->op.data = imp;

    /*
     * Not in a single buffer: past client_body_buffer_size the body goes
     * to a temp file, which is read back in pieces.
     */
    rc = ngx_http_read_client_request_body(r, ngx_http_campaign_import_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static ngx_int_t
ngx_http_campaign_import_args(ngx_http_request_t *r,
    ngx_http_campaign_import_t *imp)
{
    int                             rc;
    cmp_txn_t                      *txn;
    ngx_str_t                       value;
    cmp_record_t                    rec;

    if (ngx_http_arg(r, (u_char *) "on_duplicate", 12, &value) == NGX_OK) {
        if (value.len == 6 && ngx_strncmp(value.data, "ignore", 6) == 0) {
            imp->ignore = 1;

        } else if (!(value.len == 9
                     && ngx_strncmp(value.data, "overwrite", 9) == 0))
        {
            return ngx_http_campaign_send_error(r, NGX_HTTP_BAD_REQUEST,
                       "invalid_argument", "on_duplicate",
                       "on_duplicate must be overwrite or ignore");
        }
    }

    if (ngx_http_arg(r, (u_char *) "group_id", 8, &value) != NGX_OK) {
        return NGX_OK;
    }

    if (!cmp_valid_id((char *) value.data, value.len)) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_BAD_REQUEST,
                   "invalid_argument", "group_id",
                   "group_id must be 1 to 64 characters of [A-Za-z0-9_-]");
    }

    ngx_memcpy(imp->group_id, value.data, value.len);
    imp->group_id[value.len] = '\0';
    imp->group_id_len = value.len;

    txn = ngx_http_campaign_read_begin(r);
    if (txn == NULL) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL, "cannot read the store");
    }

    rc = cmp_record_get(imp->store, txn, &cmp_kind_groups, imp->group_id,
                        imp->group_id_len, &rec);

    ngx_http_campaign_read_end(r);

    if (rc == CMP_NOTFOUND) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_NOT_FOUND,
                   "not_found", "group_id", "no group \"%s\"",
                   imp->group_id);
    }

    if (rc != 0) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL, "store error: %s",
                   cmp_strerror(rc));
    }

    return NGX_OK;
}


static void
ngx_http_campaign_import_body(ngx_http_request_t *r)
{
    ngx_http_campaign_ctx_t     *ctx;
    ngx_http_campaign_import_t  *imp;

    ctx = ngx_http_get_module_ctx(r, ngx_http_campaign_module);
    imp = ctx->op.data;

    imp->cl = (r->request_body != NULL) ? r->request_body->bufs : NULL;

    /* the request must outlive a client that goes away meanwhile */
    r->main->blocked++;
    r->aio = 1;

    ngx_http_campaign_import_next(imp);
}


/*
 * One chunk at a time, so other pool tasks are not starved meanwhile; in
 * between, a map another process grew can be adopted (a chunk it would
 * have refused is refused once, the next one fits).
 */
static void
ngx_http_campaign_import_next(ngx_http_campaign_import_t *imp)
{
    ngx_int_t                       rc;
    ngx_log_t                      *log;
#if (NGX_THREADS)
    ngx_http_campaign_main_conf_t  *mcf;
#endif

    log = imp->request->connection->log;

    for ( ;; ) {
        rc = ngx_http_campaign_store_adopt(log);
        rc = ngx_http_campaign_import_again(imp, rc);

        if (rc == NGX_AGAIN) {
            imp->map_wait.handler = ngx_http_campaign_import_map_wait;
            imp->map_wait.data = imp;
            imp->map_wait.log = log;
            ngx_add_timer(&imp->map_wait, NGX_HTTP_CAMPAIGN_IMPORT_MAP_WAIT);
            return;
        }

        if (rc == NGX_ERROR || imp->eof) {
            ngx_http_campaign_import_finish(imp);
            return;
        }

#if (NGX_THREADS)
        if (imp->task != NULL) {
            mcf = ngx_http_get_module_main_conf(imp->request,
                                                ngx_http_campaign_module);

            imp->task->event.log = log;

            if (ngx_thread_task_post(mcf->writer.thread_pool, imp->task)
                == NGX_OK)
            {
                mcf->imports++;
                return;
            }

            ngx_log_error(NGX_LOG_ERR, log, 0,
                          "campaign api: posting an import chunk to the "
                          "thread pool failed, importing on the event loop");
            imp->task = NULL;
        }
#endif

        /* without threads the import runs here: correct, but blocking */
        ngx_http_campaign_import_chunk(imp, log);
    }
}


#if (NGX_THREADS)

static void
ngx_http_campaign_import_done(ngx_event_t *ev)
{
    ngx_thread_task_t              *task;
    ngx_http_campaign_import_t     *imp;
    ngx_http_campaign_main_conf_t  *mcf;

    task = ev->data;
    imp = task->ctx;

    mcf = ngx_http_get_module_main_conf(imp->request,
                                        ngx_http_campaign_module);
    mcf->imports--;

    /* a failed chunk too: it may run again in a map grown meanwhile */
    ngx_http_campaign_import_next(imp);
}

#endif


/*
 * Runs in a pool thread (or inline): reads up to a chunk of lines and
 * commits them in one transaction.  Only this thread touches imp now.
 */
static void
ngx_http_campaign_import_chunk(void *data, ngx_log_t *log)
{
    ngx_http_campaign_import_t *imp = data;

    int                    rc;
    uint64_t               created, updated, unchanged, ignored;
    cmp_record_t           group;
    cmp_import_rec_t       rec;
    cmp_contact_import_t   ci;

    ngx_http_campaign_import_mark(imp);

    ngx_memzero(&ci, sizeof(cmp_contact_import_t));

    ci.store = imp->store;
    ci.now = (int64_t) time(NULL);
    ci.ignore = imp->ignore;

    if (imp->group_id_len) {
        ci.group_id = imp->group_id;
        ci.group_id_len = imp->group_id_len;
    }

    rc = cmp_store_txn_begin(imp->store, NULL, 0, &ci.txn);
    if (rc != 0) {
        ngx_http_campaign_import_store_error(imp, &ci.op, rc);
        return;
    }

    /* the group may have gone since the previous chunk */
    if (ci.group_id != NULL) {
        rc = cmp_record_get(imp->store, ci.txn, &cmp_kind_groups,
                            ci.group_id, ci.group_id_len, &group);
        if (rc != 0) {
            cmp_txn_abort(ci.txn);
            ngx_http_campaign_import_fail(imp, rc == CMP_NOTFOUND ? 404 : 503,
                                          rc == CMP_NOTFOUND
                                          ? "not_found" : "store_unavailable",
                                          "group_id",
                                          "the group was deleted during "
                                          "the import");
            return;
        }
    }

    created = imp->created;
    updated = imp->updated;
    unchanged = imp->unchanged;
    ignored = imp->ignored;

    imp->data_lines = 0;

    while (imp->data_lines < NGX_HTTP_CAMPAIGN_IMPORT_CHUNK
           && imp->code == NULL)
    {
        rc = ngx_http_campaign_import_read(imp, &rec);

        if (rc == 0) {
            imp->eof = 1;
            break;
        }

        if (rc < 0) {
            ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                          "campaign api: reading the import body from its "
                          "temp file failed");
            ngx_http_campaign_import_fail(imp, 500, "internal_error", NULL,
                                          "reading the body failed");
            break;
        }

        ngx_http_campaign_import_record(imp, &ci, &rec);
    }

    if (imp->code == NULL) {
        rc = cmp_contact_import_flush(&ci);

        if (rc == 0) {
            rc = cmp_txn_commit(ci.txn);

        } else {
            cmp_txn_abort(ci.txn);
        }

        if (rc != 0) {
            ngx_http_campaign_import_store_error(imp, &ci.op, rc);
        }

    } else {
        cmp_txn_abort(ci.txn);
    }

    if (imp->code != NULL) {
        /* the aborted chunk counts for nothing */
        imp->created = created;
        imp->updated = updated;
        imp->unchanged = unchanged;
        imp->ignored = ignored;
        imp->eof = 1;
    }

    cmp_op_free(&ci.op);
}


static void
ngx_http_campaign_import_mark(ngx_http_campaign_import_t *imp)
{
    size_t                            used;
    ngx_http_campaign_import_mark_t  *m;

    m = &imp->mark;

    m->cl = imp->cl;
    m->file_pos = imp->file_pos;
    m->piece_pos = (imp->pos != NULL) ? imp->piece_pos : -1;
    m->piece_len = (m->piece_pos >= 0) ? imp->last - (char *) imp->piece : 0;
    m->pos = imp->pos;
    m->last = imp->last;
    m->lines = imp->lines;
    m->mem_done = imp->mem_done;
    m->body_done = imp->body_done;
    m->header_done = imp->header_done;
    m->rejected_total = imp->rejected_total;
    m->rejected_listed = json_array_size(imp->rejected);

    cmp_store_usage(imp->store, &used, &m->map_size);
}


/*
 * On the event loop after a chunk, with adopted what the map check said:
 * a chunk refused with 507 by a map smaller than the one mapped now runs
 * again from its mark, once.  NGX_DECLINED: no chunk failed; NGX_OK: it
 * runs again; NGX_AGAIN: the map check waits for the pool, ask later;
 * NGX_ERROR: the failure stands (or the body cannot be read back).
 */
static ngx_int_t
ngx_http_campaign_import_again(ngx_http_campaign_import_t *imp,
    ngx_int_t adopted)
{
    size_t                            used, size;
    ngx_http_campaign_import_mark_t  *m;

    if (imp->code == NULL) {
        imp->map_retried = 0;
        imp->map = 0;
        imp->map_waits = 0;
        return NGX_DECLINED;
    }

    if (imp->map_retried || !imp->map) {
        return NGX_ERROR;
    }

    if (adopted == NGX_BUSY
        && imp->map_waits++ < NGX_HTTP_CAMPAIGN_IMPORT_MAP_WAITS)
    {
        return NGX_AGAIN;
    }

    m = &imp->mark;

    cmp_store_usage(imp->store, &used, &size);

    if (size <= m->map_size) {
        return NGX_ERROR;
    }

    /* the piece the chunk began in was overwritten since: read it again */
    if (m->piece_pos >= 0) {
        if (pread(m->cl->buf->file->fd, imp->piece, m->piece_len,
                  m->piece_pos)
            != (ssize_t) m->piece_len)
        {
            return NGX_ERROR;
        }
    }

    imp->piece_pos = m->piece_pos;

    imp->cl = m->cl;
    imp->file_pos = m->file_pos;
    imp->pos = m->pos;
    imp->last = m->last;
    imp->lines = m->lines;
    imp->mem_done = m->mem_done;
    imp->body_done = m->body_done;
    imp->header_done = m->header_done;
    imp->rejected_total = m->rejected_total;

    while (json_array_size(imp->rejected) > m->rejected_listed) {
        json_array_remove(imp->rejected, json_array_size(imp->rejected) - 1);
    }

    imp->status = 0;
    imp->code = NULL;
    imp->field[0] = '\0';
    imp->message[0] = '\0';
    imp->eof = 0;
    imp->map_retried = 1;
    imp->map = 0;

    ngx_log_error(NGX_LOG_INFO, imp->request->connection->log, 0,
                  "campaign api: import: the chunk the map refused runs "
                  "again in the %uz bytes mapped now", size);

    return NGX_OK;
}


static void
ngx_http_campaign_import_map_wait(ngx_event_t *ev)
{
    ngx_http_campaign_import_next(ev->data);
}


/* 1: a record; 0: the body is used up; -1: the temp file failed */
static int
ngx_http_campaign_import_read(ngx_http_campaign_import_t *imp,
    cmp_import_rec_t *rec)
{
    int  rc;

    for ( ;; ) {
        if (imp->pos != NULL
            && cmp_lines_next(&imp->lines, &imp->pos, imp->last, rec))
        {
            return 1;
        }

        rc = ngx_http_campaign_import_piece(imp);

        if (rc == 1) {
            continue;
        }

        if (rc < 0) {
            return rc;
        }

        if (!imp->body_done) {
            imp->body_done = 1;

            if (cmp_lines_end(&imp->lines, rec)) {
                return 1;
            }
        }

        return 0;
    }
}


/*
 * The next piece of the body: a memory buffer as it is, or up to a piece
 * of the temp file; memory stays bounded whatever the body's size.
 */
static int
ngx_http_campaign_import_piece(ngx_http_campaign_import_t *imp)
{
    size_t      size;
    ssize_t     n;
    ngx_buf_t  *b;

    while (imp->cl != NULL) {
        b = imp->cl->buf;

        if (b->in_file) {
            if (imp->file_pos < 0) {
                imp->file_pos = b->file_pos;
            }

            if (imp->file_pos < b->file_last) {
                size = ngx_min((off_t) NGX_HTTP_CAMPAIGN_IMPORT_PIECE,
                               b->file_last - imp->file_pos);

                n = pread(b->file->fd, imp->piece, size, imp->file_pos);
                if (n <= 0) {
                    return -1;
                }

                imp->piece_pos = imp->file_pos;
                imp->file_pos += n;
                imp->pos = (char *) imp->piece;
                imp->last = (char *) imp->piece + n;

                return 1;
            }

        } else if (!imp->mem_done && b->last > b->pos) {
            imp->mem_done = 1;
            imp->piece_pos = -1;
            imp->pos = (char *) b->pos;
            imp->last = (char *) b->last;

            return 1;
        }

        imp->cl = imp->cl->next;
        imp->file_pos = -1;
        imp->mem_done = 0;
    }

    return 0;
}


static void
ngx_http_campaign_import_record(ngx_http_campaign_import_t *imp,
    cmp_contact_import_t *ci, cmp_import_rec_t *rec)
{
    int                    rc;
    char                   err[256];
    json_t                *obj;
    cmp_import_outcome_e   outcome;

    if (rec->too_long) {
        imp->data_lines++;
        ngx_http_campaign_import_reject(imp, rec->line,
                                        "line is longer than 512 KB");
        return;
    }

    if (cmp_import_blank(rec->data, rec->len)) {
        return;
    }

    if (imp->csv && !imp->header_done) {
        rc = cmp_csv_header(imp->header, rec->data, rec->len, err,
                            sizeof(err));

        if (rc == -1) {
            ngx_http_campaign_import_fail(imp, 422, "unknown_field",
                                          err, err);
            return;
        }

        if (rc != 0) {
            ngx_http_campaign_import_fail(imp, 422, "validation_failed",
                                          "header", err);
            return;
        }

        imp->header_done = 1;
        return;
    }

    imp->data_lines++;

    if (imp->csv) {
        obj = cmp_csv_record(imp->header, rec->data, rec->len, imp->scratch,
                             err, sizeof(err));

    } else {
        obj = cmp_ndjson_record(rec->data, rec->len, err, sizeof(err));
    }

    if (obj == NULL) {
        ngx_http_campaign_import_reject(imp, rec->line, err);
        return;
    }

    rc = cmp_contact_import_line(ci, obj, &outcome);
    json_decref(obj);

    if (rc != CMP_OK) {
        if (ci->op.status >= 500) {
            ngx_http_campaign_import_failed(imp, &ci->op);
            return;
        }

        ngx_http_campaign_import_reject(imp, rec->line, ci->op.message);
        return;
    }

    switch (outcome) {

    case CMP_IMPORT_CREATED:
        imp->created++;
        break;

    case CMP_IMPORT_UPDATED:
        imp->updated++;
        break;

    case CMP_IMPORT_UNCHANGED:
        imp->unchanged++;
        break;

    default:
        imp->ignored++;
    }
}


static void
ngx_http_campaign_import_reject(ngx_http_campaign_import_t *imp,
    uint64_t line, const char *error)
{
    imp->rejected_total++;

    if (json_array_size(imp->rejected) < NGX_HTTP_CAMPAIGN_REJECTS_LISTED) {
        json_array_append_new(imp->rejected,
                              json_pack("{s:I, s:s}", "line",
                                        (json_int_t) line, "error", error));
    }
}


static void
ngx_http_campaign_import_fail(ngx_http_campaign_import_t *imp,
    ngx_uint_t status, const char *code, const char *field,
    const char *message)
{
    if (imp->code != NULL) {
        return;
    }

    imp->status = status;
    imp->code = code;

    if (field != NULL) {
        ngx_cpystrn((u_char *) imp->field, (u_char *) field,
                    sizeof(imp->field));

        /* "unknown CSV column "x"": the column name is the field */
        if (ngx_strcmp(code, "unknown_field") == 0) {
            u_char  *p, *q;

            p = (u_char *) ngx_strchr(imp->field, '"');
            q = p ? (u_char *) ngx_strchr(p + 1, '"') : NULL;

            if (q != NULL) {
                *q = '\0';
                ngx_memmove(imp->field, p + 1, q - p);
            }
        }
    }

    ngx_cpystrn((u_char *) imp->message, (u_char *) message,
                sizeof(imp->message));
}


/*
 * A store error of the chunk answered as the API answers one
 * (cmp_op_store_error: 507 for a full map), and remembered as the map's
 * when it is: such a chunk may run again in a map grown since.
 */
static void
ngx_http_campaign_import_store_error(ngx_http_campaign_import_t *imp,
    cmp_op_t *op, int rc)
{
    (void) cmp_op_store_error(op, rc);
    ngx_http_campaign_import_failed(imp, op);
}


/* the chunk's op failed: the import stops with its answer */
static void
ngx_http_campaign_import_failed(ngx_http_campaign_import_t *imp,
    cmp_op_t *op)
{
    if (imp->code == NULL) {
        imp->map = op->map;
    }

    ngx_http_campaign_import_fail(imp, op->status, op->code, NULL,
                                  op->message);
}


/* back on the event loop: the answer */
static void
ngx_http_campaign_import_finish(ngx_http_campaign_import_t *imp)
{
    u_char              *p;
    char                *dump;
    size_t               len;
    json_t              *reply;
    ngx_int_t            rc;
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = imp->request;
    c = r->connection;

    r->main->blocked--;
    r->aio = 0;

    if (imp->code != NULL) {
        if (imp->created + imp->updated + imp->unchanged + imp->ignored) {
            /* whole chunks before the failure stay applied */
            rc = ngx_http_campaign_send_error(r, imp->status, imp->code,
                     imp->field[0] ? imp->field : NULL,
                     "%s (lines before this chunk were applied: %uL "
                     "created, %uL updated)", imp->message,
                     imp->created, imp->updated);

        } else {
            rc = ngx_http_campaign_send_error(r, imp->status, imp->code,
                     imp->field[0] ? imp->field : NULL, "%s", imp->message);
        }

        goto done;
    }

    reply = json_pack("{s:I, s:I, s:I, s:I, s:O, s:I}",
                      "created", (json_int_t) imp->created,
                      "updated", (json_int_t) imp->updated,
                      "unchanged", (json_int_t) imp->unchanged,
                      "ignored", (json_int_t) imp->ignored,
                      "rejected", imp->rejected,
                      "rejected_total", (json_int_t) imp->rejected_total);

    dump = reply ? cmp_json_dump(reply, &len) : NULL;
    json_decref(reply);

    if (dump == NULL) {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        free(dump);
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    ngx_memcpy(p, dump, len);
    free(dump);

    ngx_log_error(NGX_LOG_INFO, c->log, 0,
                  "campaign api: import: %uL created, %uL updated, "
                  "%uL unchanged, %uL ignored, %uL rejected",
                  imp->created, imp->updated, imp->unchanged, imp->ignored,
                  imp->rejected_total);

    rc = ngx_http_campaign_send(r, NGX_HTTP_OK, p, len, 0);

done:

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


static void
ngx_http_campaign_import_cleanup(void *data)
{
    ngx_http_campaign_import_t *imp = data;

    if (imp->map_wait.timer_set) {
        ngx_del_timer(&imp->map_wait);
    }

    cmp_lines_free(&imp->lines);

    if (imp->rejected != NULL) {
        json_decref(imp->rejected);
        imp->rejected = NULL;
    }
}
