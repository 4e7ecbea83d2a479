
/*
 * campaignd's log: one line per event, "time [level] campaignd: text",
 * written with one write(2) so lines of concurrent writers never mix.
 */


#ifndef _CMP_LOG_H_INCLUDED_
#define _CMP_LOG_H_INCLUDED_


#include <stddef.h>


/* nginx's names and order, so both logs read alike */
#define CMP_LOG_CRIT     1
#define CMP_LOG_ERR      2
#define CMP_LOG_WARN     3
#define CMP_LOG_INFO     4
#define CMP_LOG_DEBUG    5

#define CMP_LOG_LINE     2048


typedef struct {
    int            fd;
    int            level;
    const char    *path;            /* NULL: stderr */

    /*
     * Until campaignd has started, an error must reach whoever started it
     * even when the log is a file: the terminal, or systemctl's status.
     */
    unsigned       also_stderr:1;

    /* a daemon points its stderr at the log file; reopen must follow */
    unsigned       stderr_is_log:1;
} cmp_log_t;


int cmp_log_level(const char *name);
int cmp_log_open(cmp_log_t *log, const char *path, int level, char *err,
    size_t err_len);
int cmp_log_reopen(cmp_log_t *log);
void cmp_log_close(cmp_log_t *log);
void cmp_log_error(cmp_log_t *log, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));


#endif /* _CMP_LOG_H_INCLUDED_ */
