
/*
 * Signal handling without races: the handled signals stay blocked, and
 * the loop's ppoll() unblocks them atomically, so none is lost between a
 * check of the flags and the wait.
 */


#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmp_signal.h"


static void cmp_signal_handler(int signo);


/* handlers may touch nothing else; these are the process's only globals */
volatile sig_atomic_t  cmp_signal_stop;
volatile sig_atomic_t  cmp_signal_reopen;


static void
cmp_signal_handler(int signo)
{
    if (signo == SIGHUP) {
        cmp_signal_reopen = 1;

    } else {
        cmp_signal_stop = signo;
    }
}


/*
 * wait_mask receives the mask to wait with: the one campaignd was started
 * with, minus the handled signals, in case a parent left them blocked.
 */
int
cmp_signal_init(sigset_t *wait_mask, char *err, size_t err_len)
{
    size_t            i;
    sigset_t          set;
    struct sigaction  sa;

    static const int  handled[] = { SIGTERM, SIGINT, SIGHUP };

    sigemptyset(&set);

    for (i = 0; i < sizeof(handled) / sizeof(handled[0]); i++) {
        sigaddset(&set, handled[i]);
    }

    if (sigprocmask(SIG_BLOCK, &set, wait_mask) == -1) {
        snprintf(err, err_len, "sigprocmask() failed: %s", strerror(errno));
        return -1;
    }

    memset(&sa, 0, sizeof(struct sigaction));
    sa.sa_handler = cmp_signal_handler;
    sa.sa_mask = set;

    for (i = 0; i < sizeof(handled) / sizeof(handled[0]); i++) {
        if (sigaction(handled[i], &sa, NULL) == -1) {
            snprintf(err, err_len, "sigaction(%s) failed: %s",
                     cmp_signal_name(handled[i]), strerror(errno));
            return -1;
        }

        sigdelset(wait_mask, handled[i]);
    }

    /* a peer that closes a connection must cost an error, not the process */
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);

    if (sigaction(SIGPIPE, &sa, NULL) == -1) {
        snprintf(err, err_len, "sigaction(SIGPIPE) failed: %s",
                 strerror(errno));
        return -1;
    }

    return 0;
}


const char *
cmp_signal_name(int signo)
{
    switch (signo) {
    case SIGTERM:
        return "SIGTERM";
    case SIGINT:
        return "SIGINT";
    case SIGHUP:
        return "SIGHUP";
    default:
        return "a signal";
    }
}
