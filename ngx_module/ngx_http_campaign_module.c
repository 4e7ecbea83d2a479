
/*
 * The campaign module: its directives, configuration, and the store's
 * lifecycle in each worker process (opened after fork, never in the master).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_campaign_module.h"


static void *ngx_http_campaign_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_campaign_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_campaign_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_campaign_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_campaign_store(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_campaign_api(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_campaign_postconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_campaign_init_module(ngx_cycle_t *cycle);
static ngx_int_t ngx_http_campaign_init_process(ngx_cycle_t *cycle);
static void ngx_http_campaign_exit_process(ngx_cycle_t *cycle);
static void ngx_http_campaign_store_fail(void *data, const char *what,
    int rc);
static ngx_int_t ngx_http_campaign_conf_enum(ngx_str_t *value,
    ngx_conf_enum_t *e, ngx_uint_t *out);


/* campaign_api write=on|off */
static ngx_conf_enum_t  ngx_http_campaign_write[] = {
    { ngx_string("off"), 0 },
    { ngx_string("on"), 1 },
    { ngx_null_string, 0 }
};

/* campaign_store batch=: LMDB bounds a transaction's dirty pages */
static ngx_conf_num_bounds_t  ngx_http_campaign_batch_bounds = {
    ngx_conf_check_num_bounds, 1, 10000
};


static ngx_command_t  ngx_http_campaign_commands[] = {

    { ngx_string("campaign_store"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_campaign_store,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("campaign_api"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_http_campaign_api,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("campaign_webhook"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_campaign_webhook,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("campaign_console"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_http_campaign_console,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("campaign_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_campaign_metrics,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_campaign_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_campaign_postconfiguration,   /* postconfiguration */

    ngx_http_campaign_create_main_conf,    /* create main configuration */
    ngx_http_campaign_init_main_conf,      /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_campaign_create_loc_conf,     /* create location configuration */
    ngx_http_campaign_merge_loc_conf       /* merge location configuration */
};


ngx_module_t  ngx_http_campaign_module = {
    NGX_MODULE_V1,
    &ngx_http_campaign_module_ctx,         /* module context */
    ngx_http_campaign_commands,            /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_http_campaign_init_module,         /* init module */
    ngx_http_campaign_init_process,        /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_campaign_exit_process,        /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_http_campaign_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_campaign_main_conf_t  *mcf;

    mcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_campaign_main_conf_t));
    if (mcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     mcf->store_path = { 0, NULL };
     *     mcf->thread_pool_name = { 0, NULL };
     *     mcf->store_ok = 0;
     *     mcf->read_txn = NULL;
     */

    mcf->max_size = NGX_CONF_UNSET_SIZE;
    mcf->used = NGX_CONF_UNSET;

    return mcf;
}


static char *
ngx_http_campaign_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_campaign_main_conf_t *mcf = conf;

    /* the http block has ended: name the directive that needed a store */
    if (mcf->used == 1 && mcf->store_path.len == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"%V\" directive in %V:%ui requires "
                      "\"campaign_store\" in the http block",
                      &mcf->used_by, &mcf->used_file, mcf->used_line);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* called by every directive that reads or writes the store */
void
ngx_http_campaign_need_store(ngx_conf_t *cf)
{
    ngx_str_t                      *value;
    ngx_http_campaign_main_conf_t  *mcf;

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_campaign_module);

    if (mcf->used == 1) {
        return;
    }

    value = cf->args->elts;

    mcf->used = 1;
    mcf->used_by = value[0];
    mcf->used_file = cf->conf_file->file.name;
    mcf->used_line = cf->conf_file->line;
}


static void *
ngx_http_campaign_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_campaign_loc_conf_t  *lcf;

    lcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_campaign_loc_conf_t));
    if (lcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     lcf->prefix = { 0, NULL };
     *     lcf->console_api = { 0, NULL };
     *     lcf->console_prefix = { 0, NULL };
     */

    lcf->api = NGX_CONF_UNSET;
    lcf->write = NGX_CONF_UNSET;

    return lcf;
}


static char *
ngx_http_campaign_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_campaign_loc_conf_t *prev = parent;
    ngx_http_campaign_loc_conf_t *conf = child;

    /* a nested location does not inherit the API: it has its own handler */
    ngx_conf_merge_value(conf->api, 0, 0);
    ngx_conf_merge_value(conf->write, prev->write, 0);

    return NGX_CONF_OK;
}


/*
 * campaign_store path [max_size=size] [batch=number] [thread_pool=name];
 *
 * Checked here so that "nginx -t" names the problem; opened per worker.
 */
static char *
ngx_http_campaign_store(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_campaign_main_conf_t *mcf = conf;

    u_char           *p;
    off_t             size;
    ngx_int_t         n;
    ngx_str_t        *value, s;
    ngx_uint_t        i;
    ngx_file_info_t   fi;

    if (mcf->store_path.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    mcf->store_path = value[1];

    if (ngx_conf_full_name(cf->cycle, &mcf->store_path, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "max_size=", 9) == 0) {
            s.data = value[i].data + 9;
            s.len = value[i].len - 9;

            /* ngx_parse_offset() because ngx_parse_size() knows no "g" */
            size = ngx_parse_offset(&s);

            /* LMDB needs room for its meta pages and every database */
            if (size == NGX_ERROR || (size_t) size < CMP_STORE_SIZE_MIN) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid max_size \"%V\": a size of at "
                                   "least 1m is expected", &s);
                return NGX_CONF_ERROR;
            }

            mcf->max_size = size;
            continue;
        }

        if (ngx_strncmp(value[i].data, "batch=", 6) == 0) {
            n = ngx_atoi(value[i].data + 6, value[i].len - 6);

            if (n == NGX_ERROR || n < ngx_http_campaign_batch_bounds.low
                || n > ngx_http_campaign_batch_bounds.high)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid batch \"%V\": a number from %i "
                                   "to %i is expected", &value[i],
                                   ngx_http_campaign_batch_bounds.low,
                                   ngx_http_campaign_batch_bounds.high);
                return NGX_CONF_ERROR;
            }

            mcf->writer.max_batch = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "thread_pool=", 12) == 0) {
            mcf->thread_pool_name.data = value[i].data + 12;
            mcf->thread_pool_name.len = value[i].len - 12;

            if (mcf->thread_pool_name.len == 0) {
                return "has an empty thread_pool name";
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (mcf->max_size == NGX_CONF_UNSET_SIZE) {
        mcf->max_size = CMP_STORE_SIZE_DEFAULT;
    }

    if (mcf->writer.max_batch == 0) {
        mcf->writer.max_batch = 256;
    }

    p = mcf->store_path.data;

    if (ngx_file_info(p, &fi) == NGX_FILE_ERROR || !ngx_is_dir(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "campaign_store \"%s\" is not a directory; "
                           "create it (owned by the worker user)", p);
        return NGX_CONF_ERROR;
    }

    if (access((char *) p, R_OK|W_OK|X_OK) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "campaign_store \"%s\" is not writable", p);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_campaign_metrics_zone(cf, mcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

#if (NGX_THREADS)
    mcf->writer.thread_pool = ngx_thread_pool_add(cf,
                                  mcf->thread_pool_name.len
                                  ? &mcf->thread_pool_name : NULL);
    if (mcf->writer.thread_pool == NULL) {
        return NGX_CONF_ERROR;
    }
#endif

    return NGX_CONF_OK;
}


/* campaign_api [write=on|off]; */
static char *
ngx_http_campaign_api(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_campaign_loc_conf_t *lcf = conf;

    ngx_str_t                 *value, v;
    ngx_uint_t                 write;
    ngx_http_core_loc_conf_t  *clcf;

    if (lcf->api != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;
    lcf->api = 1;
    lcf->write = 0;

    if (cf->args->nelts == 2) {
        v.data = value[1].data + 6;
        v.len = (value[1].len > 6) ? value[1].len - 6 : 0;

        if (ngx_strncmp(value[1].data, "write=", 6) == 0
            && ngx_http_campaign_conf_enum(&v, ngx_http_campaign_write,
                                           &write)
               == NGX_OK)
        {
            lcf->write = write;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\": "
                               "\"write=on\" or \"write=off\" is expected",
                               &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_campaign_api_handler;
    lcf->prefix = clcf->name;

    ngx_http_campaign_need_store(cf);

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_campaign_postconfiguration(ngx_conf_t *cf)
{
    if (ngx_http_campaign_metrics_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_campaign_filter_init(cf);
}


/*
 * The master (often root) only hands the store to the workers' user, as
 * Kong's lua-resty-lmdb does: it never opens the environment itself.
 */
static ngx_int_t
ngx_http_campaign_init_module(ngx_cycle_t *cycle)
{
    u_char                         *p;
    ngx_uint_t                      i;
    ngx_core_conf_t                *ccf;
    ngx_http_campaign_main_conf_t  *mcf;
    u_char                          path[NGX_MAX_PATH];
    static const char              *files[] = { "", "/data.mdb",
                                                "/lock.mdb" };

    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_campaign_module);

    if (mcf == NULL || mcf->store_path.len == 0 || geteuid() != 0) {
        return NGX_OK;
    }

    ccf = (ngx_core_conf_t *) ngx_get_conf(cycle->conf_ctx, ngx_core_module);

    if (ccf->user == (ngx_uid_t) NGX_CONF_UNSET_UINT) {
        return NGX_OK;
    }

    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        p = ngx_snprintf(path, sizeof(path) - 1, "%V%s", &mcf->store_path,
                         files[i]);
        *p = '\0';

        if (chown((char *) path, ccf->user, ccf->group) == -1
            && ngx_errno != NGX_ENOENT)
        {
            ngx_log_error(NGX_LOG_EMERG, cycle->log, ngx_errno,
                          "chown(\"%s\", %d) failed", path, ccf->user);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * LMDB forbids using an environment across fork(): each worker opens its
 * own, clears reader slots left by crashed processes, and keeps one read
 * txn to renew per request.
 */
static ngx_int_t
ngx_http_campaign_init_process(ngx_cycle_t *cycle)
{
    int                             rc, dead;
    char                            err[512];
    ngx_http_campaign_main_conf_t  *mcf;

    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_campaign_module);

    if (mcf == NULL || mcf->store_path.len == 0) {
        return NGX_OK;
    }

    ngx_http_campaign_writer_init(mcf);

    rc = cmp_store_open(&mcf->store, (char *) mcf->store_path.data,
                        mcf->max_size, CMP_STORE_READERS,
                        err, sizeof(err));
    if (rc != 0) {
        /* the API answers 503 store_unavailable until a restart */
        ngx_log_error(NGX_LOG_CRIT, cycle->log, 0, "campaign_store: %s", err);
        return NGX_OK;
    }

    dead = 0;
    (void) cmp_store_reader_check(&mcf->store, &dead);

    if (dead > 0) {
        ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                      "campaign_store: cleared %d stale reader slot(s)",
                      dead);
    }

    mcf->store.fail = ngx_http_campaign_store_fail;
    mcf->store.fail_data = cycle->log;

    /* reads on the event loop, writes in the pool: remaps wait for both */
    mcf->store.adopt_later = 1;

    rc = cmp_store_txn_begin(&mcf->store, NULL, CMP_RDONLY, &mcf->read_txn);
    if (rc != 0) {
        cmp_store_close(&mcf->store);
        return NGX_OK;
    }

    cmp_txn_reset(mcf->read_txn);
    mcf->store_ok = 1;

    return NGX_OK;
}


/* a parameter's value in an enum table, as ngx_conf_set_enum_slot() */
static ngx_int_t
ngx_http_campaign_conf_enum(ngx_str_t *value, ngx_conf_enum_t *e,
    ngx_uint_t *out)
{
    ngx_uint_t  i;

    for (i = 0; e[i].name.len != 0; i++) {
        if (e[i].name.len == value->len
            && ngx_strncasecmp(e[i].name.data, value->data, value->len) == 0)
        {
            *out = e[i].value;
            return NGX_OK;
        }
    }

    return NGX_ERROR;
}


/*
 * A map another process grew (README "campaign_store") is adopted by a
 * remap, which must not run under any txn of this worker: only on the
 * event loop between requests (the read txn is reset then), with no
 * batch and no import chunk in the pool.  NGX_OK: the map grew;
 * NGX_DECLINED: nothing asked for it, or it is no larger; NGX_BUSY: a
 * pool thread holds a txn, the writer's next turn tries again.
 */
ngx_int_t
ngx_http_campaign_store_adopt(ngx_log_t *log)
{
    int                             rc;
    size_t                          grown;
    ngx_http_campaign_main_conf_t  *mcf;

    mcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                              ngx_http_campaign_module);

    if (mcf == NULL || !mcf->store_ok
        || (!mcf->store.full && !mcf->store.resized))
    {
        return NGX_DECLINED;
    }

    if (mcf->writer.busy || mcf->imports > 0) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, log, 0,
                       "campaign_store: map check waits for the pool");
        return NGX_BUSY;
    }

    rc = cmp_store_adopt(&mcf->store, &grown);

    if (rc != 0) {
        ngx_log_error(NGX_LOG_CRIT, log, 0, "campaign_store: reading the "
                      "map size failed: %s", cmp_strerror(rc));
        return NGX_ERROR;
    }

    if (grown == 0) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, log, 0,
                       "campaign_store: no process has a larger map");
        return NGX_DECLINED;
    }

    ngx_log_error(NGX_LOG_NOTICE, log, 0, "campaign_store: map grown to %uz "
                  "bytes by another process, adopted", grown);

    return NGX_OK;
}


/* a txn that cannot begin: the environment's fault (readers, memory) */
static void
ngx_http_campaign_store_fail(void *data, const char *what, int rc)
{
    ngx_log_t *log = data;

    ngx_log_error(NGX_LOG_CRIT, log, 0, "campaign_store: %s failed: %s",
                  what, cmp_strerror(rc));
}


static void
ngx_http_campaign_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_campaign_main_conf_t  *mcf;

    ngx_http_campaign_webhook_exit();

    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_campaign_module);

    if (mcf == NULL || !mcf->store_ok) {
        return;
    }

    cmp_txn_abort(mcf->read_txn);
    mcf->read_txn = NULL;
    cmp_store_close(&mcf->store);
    mcf->store_ok = 0;
}
