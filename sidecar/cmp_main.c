
/*
 * campaignd: the command line, and the process's life from start (lock,
 * store, pid file, first heartbeat) through the event loop to a clean stop.
 */


#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmp_campaignd.h"
#include "cmp_daemon.h"
#include "cmp_loop.h"
#include "cmp_signal.h"
#include "cmp_http.h"
#include "cmp_engine.h"
#include "cmp_dispatch.h"


#define CMP_EXIT_OK       0
#define CMP_EXIT_FAIL     1
#define CMP_EXIT_USAGE    2

/* cmp_main_options() also stops a run that only printed --help/--version */
#define CMP_OPTIONS_DONE  -1


enum {
    CMP_OPT_STORE = 256,
    CMP_OPT_DAEMON,
    CMP_OPT_PID_FILE,
    CMP_OPT_LOG_FILE,
    CMP_OPT_LOG_LEVEL,
    CMP_OPT_CONCURRENCY,
    CMP_OPT_MAX_SIZE
};


static int cmp_main_options(cmp_campaignd_t *cd, int argc, char **argv);
static int cmp_main_option(cmp_campaignd_t *cd, int opt, const char *arg);
static int cmp_main_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static void cmp_main_usage(FILE *out);
static int cmp_main_parse_size(const char *s, size_t *size);
static int cmp_main_parse_uint(const char *s, unsigned min, unsigned max,
    unsigned *value);
static char *cmp_main_abs_path(const char *path, int must_exist);
static int cmp_main_start(cmp_campaignd_t *cd);
static int cmp_main_open_store(cmp_campaignd_t *cd, char *err,
    size_t err_len);
static void cmp_main_stop(cmp_campaignd_t *cd);
static void cmp_main_store_fail(void *data, const char *what, int rc);
static void cmp_main_free(cmp_campaignd_t *cd);


static const struct option  cmp_main_long_options[] = {
    { "store",       required_argument, NULL, CMP_OPT_STORE },
    { "daemon",      no_argument,       NULL, CMP_OPT_DAEMON },
    { "pid-file",    required_argument, NULL, CMP_OPT_PID_FILE },
    { "log-file",    required_argument, NULL, CMP_OPT_LOG_FILE },
    { "log-level",   required_argument, NULL, CMP_OPT_LOG_LEVEL },
    { "concurrency", required_argument, NULL, CMP_OPT_CONCURRENCY },
    { "max-size",    required_argument, NULL, CMP_OPT_MAX_SIZE },
    { "help",        no_argument,       NULL, 'h' },
    { "version",     no_argument,       NULL, 'V' },
    { NULL, 0, NULL, 0 }
};


int
main(int argc, char **argv)
{
    int               rc;
    cmp_campaignd_t   cd;

    memset(&cd, 0, sizeof(cmp_campaignd_t));
    cd.lock_fd = -1;
    cd.ready_fd = -1;
    cd.log.fd = -1;

    rc = cmp_main_options(&cd, argc, argv);

    if (rc != CMP_EXIT_OK) {
        cmp_main_free(&cd);
        return rc == CMP_OPTIONS_DONE ? CMP_EXIT_OK : rc;
    }

    rc = cmp_main_start(&cd);

    if (rc == CMP_EXIT_OK) {
        if (cmp_loop_run(&cd) != 0) {
            rc = CMP_EXIT_FAIL;
        }
    }

    cmp_main_stop(&cd);
    cmp_main_free(&cd);

    return rc;
}


static int
cmp_main_options(cmp_campaignd_t *cd, int argc, char **argv)
{
    int  opt, rc;

    cd->log_level = CMP_LOG_INFO;
    cd->concurrency = CMP_CAMPAIGND_CONCURRENCY;
    cd->minute = 60;

    /* tests only: a shorter "minute" lets a plan's runs come quickly */
    if (getenv("CAMPAIGND_TEST_MINUTE") != NULL
        && atoi(getenv("CAMPAIGND_TEST_MINUTE")) > 0)
    {
        cd->minute = atoi(getenv("CAMPAIGND_TEST_MINUTE"));
    }
    cd->max_size = CMP_STORE_SIZE_DEFAULT;

    /* our own messages: getopt's do not say what a valid value is */
    opterr = 0;

    for ( ;; ) {
        opt = getopt_long(argc, argv, ":hV", cmp_main_long_options, NULL);

        if (opt == -1) {
            break;
        }

        switch (opt) {

        case 'h':
            cmp_main_usage(stdout);
            return CMP_OPTIONS_DONE;

        case 'V':
            printf("campaignd %s (store schema %d)\n", CMP_CAMPAIGND_VERSION,
                   CMP_SCHEMA_VERSION);
            return CMP_OPTIONS_DONE;

        case ':':
            return cmp_main_usage_error("option \"%s\" needs a value",
                                        argv[optind - 1]);

        case '?':
            if (optopt != 0) {
                return cmp_main_usage_error("unknown option \"-%c\"",
                                            optopt);
            }

            return cmp_main_usage_error("unknown option \"%s\"",
                                        argv[optind - 1]);

        default:
            rc = cmp_main_option(cd, opt, optarg);
            if (rc != CMP_EXIT_OK) {
                return rc;
            }
        }
    }

    if (optind < argc) {
        return cmp_main_usage_error("unexpected argument \"%s\"",
                                    argv[optind]);
    }

    if (cd->store_path == NULL) {
        return cmp_main_usage_error("--store DIR is required");
    }

    return CMP_EXIT_OK;
}


/*
 * Paths are made absolute here: --daemon changes to "/", and a log line
 * naming the store should say which one.
 */
static int
cmp_main_option(cmp_campaignd_t *cd, int opt, const char *arg)
{
    char        **path;
    const char   *name;

    switch (opt) {

    case CMP_OPT_DAEMON:
        cd->daemon = 1;
        return CMP_EXIT_OK;

    case CMP_OPT_LOG_LEVEL:
        cd->log_level = cmp_log_level(arg);

        if (cd->log_level == -1) {
            return cmp_main_usage_error("invalid --log-level \"%s\": use "
                                        "error, warn, info or debug", arg);
        }

        return CMP_EXIT_OK;

    case CMP_OPT_CONCURRENCY:
        if (cmp_main_parse_uint(arg, 1, 65536, &cd->concurrency) != 0) {
            return cmp_main_usage_error("invalid --concurrency \"%s\": a "
                                        "number from 1 to 65536", arg);
        }

        return CMP_EXIT_OK;

    case CMP_OPT_MAX_SIZE:
        if (cmp_main_parse_size(arg, &cd->max_size) != 0
            || cd->max_size < CMP_STORE_SIZE_MIN)
        {
            return cmp_main_usage_error("invalid --max-size \"%s\": a size "
                                        "like 512m or 1g, at least 1m", arg);
        }

        return CMP_EXIT_OK;

    case CMP_OPT_STORE:
        path = &cd->store_path;
        name = "--store";
        break;

    case CMP_OPT_PID_FILE:
        path = &cd->pid_file;
        name = "--pid-file";
        break;

    default: /* CMP_OPT_LOG_FILE */
        path = &cd->log_file;
        name = "--log-file";
        break;
    }

    if (*arg == '\0') {
        return cmp_main_usage_error("option \"%s\" needs a value", name);
    }

    free(*path);

    *path = cmp_main_abs_path(arg, opt == CMP_OPT_STORE);
    if (*path == NULL) {
        fprintf(stderr, "campaignd: %s\n", strerror(errno));
        return CMP_EXIT_FAIL;
    }

    return CMP_EXIT_OK;
}


static int
cmp_main_usage_error(const char *fmt, ...)
{
    va_list  args;

    fprintf(stderr, "campaignd: ");

    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);

    fprintf(stderr, "\nTry \"campaignd --help\" for the options.\n");

    return CMP_EXIT_USAGE;
}


static void
cmp_main_usage(FILE *out)
{
    fprintf(out,
        "Usage: campaignd --store DIR [options]\n"
        "\n"
        "Runs the campaigns of the nginx campaign module's store: schedule,\n"
        "flows and message dispatch.  One campaignd per store.\n"
        "\n"
        "  --store DIR          the LMDB store, as nginx's campaign_store\n"
        "  --daemon             detach; without --log-file the log is lost\n"
        "  --pid-file FILE      write the pid there, remove it on exit\n"
        "  --log-file FILE      log there (default: stderr); SIGHUP reopens"
        "\n"
        "  --log-level LEVEL    error, warn, info (default) or debug\n"
        "  --concurrency N      requests in flight in all (default %d)\n"
        "  --max-size SIZE      store map size like 512m or 1g (default 1g);"
        "\n"
        "                       at least nginx's campaign_store max_size\n"
        "  --help               this text\n"
        "  --version            campaignd's version and store schema\n"
        "\n"
        "SIGTERM or SIGINT stops it cleanly, exit status 0.  Exit status 1:\n"
        "it could not start or run; 2: a wrong command line.\n",
        CMP_CAMPAIGND_CONCURRENCY);
}


/* nginx's size syntax, so that --max-size can be copied from nginx.conf */
static int
cmp_main_parse_size(const char *s, size_t *size)
{
    char                *end;
    size_t               scale;
    unsigned long long   n;

    if (*s < '0' || *s > '9') {
        return -1;
    }

    errno = 0;
    n = strtoull(s, &end, 10);

    if (errno != 0) {
        return -1;
    }

    switch (*end) {
    case 'k':
    case 'K':
        scale = 1024;
        end++;
        break;
    case 'm':
    case 'M':
        scale = 1024 * 1024;
        end++;
        break;
    case 'g':
    case 'G':
        scale = 1024 * 1024 * 1024;
        end++;
        break;
    default:
        scale = 1;
    }

    if (*end != '\0' || n > SIZE_MAX / scale) {
        return -1;
    }

    *size = (size_t) n * scale;

    return 0;
}


static int
cmp_main_parse_uint(const char *s, unsigned min, unsigned max,
    unsigned *value)
{
    char           *end;
    unsigned long   n;

    if (*s < '0' || *s > '9') {
        return -1;
    }

    errno = 0;
    n = strtoul(s, &end, 10);

    if (errno != 0 || *end != '\0' || n < min || n > max) {
        return -1;
    }

    *value = (unsigned) n;

    return 0;
}


/*
 * A store that does not exist keeps its name as given: the lock then
 * reports it the way the store itself would.
 */
static char *
cmp_main_abs_path(const char *path, int must_exist)
{
    char    *p;
    size_t   len;
    char     cwd[PATH_MAX];

    if (must_exist) {
        p = realpath(path, NULL);
        if (p != NULL) {
            return p;
        }
    }

    if (path[0] == '/') {
        return strdup(path);
    }

    if (getcwd(cwd, sizeof(cwd)) == NULL) {
        return NULL;
    }

    len = strlen(cwd) + 1 + strlen(path) + 1;

    p = malloc(len);
    if (p == NULL) {
        return NULL;
    }

    snprintf(p, len, "%s/%s", cwd, path);

    return p;
}


/*
 * The order matters: detach first (LMDB and the lock's pid belong to the
 * final process), then the lock (a second campaignd must not even open
 * the store), the store, the pid file, and a first heartbeat, so that
 * "started" means GET /health already sees campaignd alive.
 */
static int
cmp_main_start(cmp_campaignd_t *cd)
{
    char  err[512];

    if (cmp_log_open(&cd->log, cd->log_file, cd->log_level, err,
                     sizeof(err))
        != 0)
    {
        fprintf(stderr, "campaignd: %s\n", err);
        return CMP_EXIT_FAIL;
    }

    cd->log.also_stderr = 1;

    if (cd->daemon
        && cmp_daemon_detach(&cd->ready_fd, err, sizeof(err)) != 0)
    {
        goto failed;
    }

    if (cmp_signal_init(&cd->wait_mask, err, sizeof(err)) != 0) {
        goto failed;
    }

    if (cmp_daemon_lock(cd->store_path, &cd->lock_fd, err, sizeof(err))
        != 0)
    {
        goto failed;
    }

    if (cmp_main_open_store(cd, err, sizeof(err)) != 0) {
        goto failed;
    }

    cd->http = cmp_http_create(cd->concurrency, err, sizeof(err));
    if (cd->http == NULL) {
        goto failed;
    }

    /* the dispatcher reports each message's outcome to the engine */
    cd->engine = cmp_engine_create(cd, cd->http);
    cd->dispatch = (cd->engine != NULL)
                   ? cmp_dispatch_create(cd, cd->http, cmp_engine_dispatched,
                                         cd->engine)
                   : NULL;

    if (cd->engine == NULL || cd->dispatch == NULL) {
        snprintf(err, sizeof(err), "out of memory");
        goto failed;
    }

    if (cmp_dispatch_recover(cd->dispatch) != 0) {
        snprintf(err, sizeof(err), "messages in flight at the last stop "
                 "could not be recovered");
        goto failed;
    }

    cd->queued = 1;

    if (cd->pid_file != NULL) {
        if (cmp_daemon_pid_write(cd->pid_file, err, sizeof(err)) != 0) {
            goto failed;
        }

        cd->pid_written = 1;
    }

    if (cmp_heartbeat_write(&cd->heartbeat, &cd->store, &cd->log,
                            (int64_t) time(NULL))
        != 0)
    {
        /* the heartbeat's own message said why */
        return CMP_EXIT_FAIL;
    }

    cmp_log_error(&cd->log, CMP_LOG_INFO, "started, store %s, pid %ld",
                  cd->store_path, (long) getpid());

    cmp_log_error(&cd->log, CMP_LOG_DEBUG, "version %s, concurrency %u, "
                  "map size %zu bytes", CMP_CAMPAIGND_VERSION,
                  cd->concurrency, cd->store.max_bytes);

    if (cd->ready_fd != -1) {
        if (cmp_daemon_ready(cd->ready_fd, cd->log.fd, err, sizeof(err))
            != 0)
        {
            cd->ready_fd = -1;
            goto failed;
        }

        cd->ready_fd = -1;
        cd->log.stderr_is_log = (cd->log_file != NULL);
    }

    cd->log.also_stderr = 0;

    return CMP_EXIT_OK;

failed:

    cmp_log_error(&cd->log, CMP_LOG_ERR, "%s", err);

    return CMP_EXIT_FAIL;
}


/*
 * LMDB opens with the size asked for even when the store's recorded size
 * is larger (nginx's max_size, or an earlier campaignd's); taking the
 * larger keeps campaignd from hitting CMP_MAP_FULL before the module does.
 */
static int
cmp_main_open_store(cmp_campaignd_t *cd, char *err, size_t err_len)
{
    int     rc, dead;
    size_t  size;

    rc = cmp_store_open(&cd->store, cd->store_path, cd->max_size,
                        CMP_STORE_READERS, err, err_len);
    if (rc != 0) {
        return -1;
    }

    cd->store_open = 1;
    cd->store.fail = cmp_main_store_fail;
    cd->store.fail_data = &cd->log;

    rc = cmp_store_map_size(&cd->store, cd->max_size, &size);

    if (rc != 0) {
        snprintf(err, err_len, "setting the store's map size failed: %s",
                 cmp_strerror(rc));
        return -1;
    }

    if (size > cd->max_size) {
        cmp_log_error(&cd->log, CMP_LOG_INFO, "store map size %zu bytes, "
                      "as recorded in the store (larger than --max-size)",
                      size);
    }

    cd->store.max_bytes = size;

    dead = 0;
    rc = cmp_store_reader_check(&cd->store, &dead);

    if (rc == 0 && dead > 0) {
        cmp_log_error(&cd->log, CMP_LOG_WARN,
                      "cleared %d stale reader slot(s)", dead);
    }

    return 0;
}


/* a txn that cannot begin: the environment's fault (readers, memory) */
static void
cmp_main_store_fail(void *data, const char *what, int rc)
{
    cmp_log_t *log = data;

    cmp_log_error(log, CMP_LOG_CRIT, "store: %s failed: %s", what,
                  cmp_strerror(rc));
}


/*
 * The dispatcher will stop starting requests here and wait for those in
 * flight, CMP_CAMPAIGND_STOP_WAIT seconds at most, before the store closes.
 */
static void
cmp_main_stop(cmp_campaignd_t *cd)
{
    int  started;

    started = (cd->heartbeat.last != 0);

    if (started && cmp_signal_stop) {
        cmp_log_error(&cd->log, CMP_LOG_INFO, "%s received, stopping",
                      cmp_signal_name(cmp_signal_stop));
    }

    /* first: then no request is in the network thread's hands */
    cmp_http_destroy(cd->http);
    cd->http = NULL;
    cmp_dispatch_destroy(cd->dispatch);
    cd->dispatch = NULL;
    cmp_engine_destroy(cd->engine);
    cd->engine = NULL;

    if (cd->store_open) {
        cmp_store_close(&cd->store);
        cd->store_open = 0;
    }

    if (cd->pid_written) {
        cmp_daemon_pid_remove(cd->pid_file);
        cd->pid_written = 0;
    }

    cmp_daemon_unlock(cd->lock_fd);
    cd->lock_fd = -1;

    if (started) {
        cmp_log_error(&cd->log, CMP_LOG_INFO, "stopped");
    }

    cmp_log_close(&cd->log);
}


static void
cmp_main_free(cmp_campaignd_t *cd)
{
    free(cd->store_path);
    free(cd->pid_file);
    free(cd->log_file);
}
