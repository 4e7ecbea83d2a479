
/*
 * campaignd's signals: handlers only set flags; the event loop acts on
 * them, with the signals blocked except while it waits.
 */


#ifndef _CMP_SIGNAL_H_INCLUDED_
#define _CMP_SIGNAL_H_INCLUDED_


#include <signal.h>
#include <stddef.h>


/* the number of the signal that asked to stop (SIGTERM, SIGINT), or 0 */
extern volatile sig_atomic_t  cmp_signal_stop;

/* SIGHUP: reopen the log file */
extern volatile sig_atomic_t  cmp_signal_reopen;


int cmp_signal_init(sigset_t *wait_mask, char *err, size_t err_len);
const char *cmp_signal_name(int signo);


#endif /* _CMP_SIGNAL_H_INCLUDED_ */
