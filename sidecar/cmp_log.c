
/*
 * campaignd's log: level filter, line format, and reopening the file on
 * SIGHUP so that logrotate can move it away.
 */


#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmp_json.h"
#include "cmp_log.h"


static int cmp_log_open_file(const char *path);


static const char  *cmp_log_levels[] = {
    "", "crit", "error", "warn", "info", "debug"
};


int
cmp_log_level(const char *name)
{
    int  i;

    /* crit is not offered: hiding errors but not crits helps nobody */
    for (i = CMP_LOG_ERR; i <= CMP_LOG_DEBUG; i++) {
        if (strcmp(name, cmp_log_levels[i]) == 0) {
            return i;
        }
    }

    return -1;
}


int
cmp_log_open(cmp_log_t *log, const char *path, int level, char *err,
    size_t err_len)
{
    int  fd;

    log->level = level;
    log->path = path;
    log->also_stderr = 0;
    log->stderr_is_log = 0;

    if (path == NULL) {
        log->fd = STDERR_FILENO;
        return 0;
    }

    fd = cmp_log_open_file(path);
    if (fd == -1) {
        snprintf(err, err_len, "cannot open log file \"%s\": %s", path,
                 strerror(errno));
        return -1;
    }

    log->fd = fd;

    return 0;
}


static int
cmp_log_open_file(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}


/*
 * The new file takes the old descriptor's number, so nothing that holds
 * the number (stderr of a daemon, later a libcurl debug hook) goes stale.
 */
int
cmp_log_reopen(cmp_log_t *log)
{
    int  fd, saved;

    if (log->path == NULL) {
        return 0;
    }

    fd = cmp_log_open_file(log->path);
    if (fd == -1) {
        saved = errno;
        cmp_log_error(log, CMP_LOG_ERR, "cannot reopen log file \"%s\": %s; "
                      "still writing to the old one", log->path,
                      strerror(saved));
        return -1;
    }

    if (dup3(fd, log->fd, O_CLOEXEC) == -1) {
        saved = errno;
        close(fd);
        cmp_log_error(log, CMP_LOG_ERR, "dup3() on reopening \"%s\" "
                      "failed: %s", log->path, strerror(saved));
        return -1;
    }

    close(fd);

    if (log->stderr_is_log) {
        (void) dup2(log->fd, STDERR_FILENO);
    }

    return 0;
}


void
cmp_log_close(cmp_log_t *log)
{
    if (log->path != NULL && log->fd != -1) {
        close(log->fd);
    }

    log->fd = -1;
}


void
cmp_log_error(cmp_log_t *log, int level, const char *fmt, ...)
{
    int      n;
    char    *p, *last;
    size_t   len;
    va_list  args;
    char     line[CMP_LOG_LINE];

    if (level > log->level || log->fd == -1) {
        return;
    }

    cmp_time_format((int64_t) time(NULL), line);
    len = strlen(line);

    len += snprintf(line + len, sizeof(line) - len, " [%s] campaignd: ",
                    cmp_log_levels[level]);

    va_start(args, fmt);
    n = vsnprintf(line + len, sizeof(line) - len - 1, fmt, args);
    va_end(args);

    if (n < 0) {
        n = 0;
    }

    p = line + len;
    len += ((size_t) n < sizeof(line) - len - 1) ? (size_t) n
                                                 : sizeof(line) - len - 2;
    last = line + len;

    /* one line per event, whatever a text from the store contains */
    for ( /* void */ ; p < last; p++) {
        if (*p == '\n' || *p == '\r') {
            *p = ' ';
        }
    }

    *last = '\n';
    len++;

    /* a log that cannot be written has nowhere to report that */
    if (write(log->fd, line, len) == -1) {
        /* void */
    }

    if (log->also_stderr
        && log->fd != STDERR_FILENO
        && level <= CMP_LOG_ERR
        && write(STDERR_FILENO, line, len) == -1)
    {
        /* void */
    }
}
