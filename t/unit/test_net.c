
/*
 * Unit tests of sidecar/cmp_net.c: the eventfd the main loop polls is
 * readable while answers wait, and only then.  A readable fd with
 * nothing behind it and nothing in flight is never drained again: the
 * loop's ppoll() returns at once for ever and never takes a SIGTERM.
 */


#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include "cmp_net.h"


#define TEST_ROUNDS   300


static int
test_readable(cmp_net_t *n)
{
    struct pollfd  fd;

    fd.fd = cmp_net_fd(n);
    fd.events = POLLIN;
    fd.revents = 0;

    return poll(&fd, 1, 0) == 1;
}


/*
 * The main loop takes answers on every turn, not only when the fd wakes
 * it: a take that comes before the thread's signal must not leave the
 * signal behind.  The race is the thread's to lose, so many rounds.
 */
static void
test_no_signal_left_behind(void **state)
{
    int              i, stale;
    char             err[256];
    CURL            *easy;
    cmp_net_t       *n;
    cmp_net_done_t   done[4];

    (void) state;

    n = cmp_net_create(8, err, sizeof(err));
    assert_non_null(n);

    stale = 0;

    for (i = 0; i < TEST_ROUNDS; i++) {
        easy = curl_easy_init();
        assert_non_null(easy);
        curl_easy_setopt(easy, CURLOPT_URL, "file:///dev/null");

        assert_int_equal(cmp_net_submit(n, &easy, 1), 0);

        /* a busy loop's turns, woken by nothing */
        while (cmp_net_done(n, done, 4) == 0) {
            /* void */
        }

        assert_ptr_equal(done[0].easy, easy);
        curl_easy_cleanup(easy);

        /* time for a signal still on its way */
        usleep(2000);

        if (test_readable(n)) {
            stale++;
            (void) cmp_net_done(n, done, 4);
        }
    }

    cmp_net_destroy(n);

    assert_int_equal(stale, 0);
}


/* a full batch that leaves more: readable until the last one is taken */
static void
test_readable_while_answers_wait(void **state)
{
    int              i;
    char             err[256];
    CURL            *easy[3];
    cmp_net_t       *n;
    cmp_net_done_t   done[2];
    size_t           k;

    (void) state;

    n = cmp_net_create(8, err, sizeof(err));
    assert_non_null(n);

    for (i = 0; i < 3; i++) {
        easy[i] = curl_easy_init();
        assert_non_null(easy[i]);
        curl_easy_setopt(easy[i], CURLOPT_URL, "file:///dev/null");
    }

    assert_int_equal(cmp_net_submit(n, easy, 3), 0);

    /* taken two at a time, and only when the fd says some wait */
    k = 0;

    for (i = 0; i < 2000 && k < 3; i++) {
        if (test_readable(n)) {
            k += cmp_net_done(n, done, 2);

        } else {
            usleep(1000);
        }
    }

    assert_int_equal(k, 3);
    usleep(2000);
    assert_false(test_readable(n));

    for (i = 0; i < 3; i++) {
        curl_easy_cleanup(easy[i]);
    }

    cmp_net_destroy(n);
}


int
main(void)
{
    int  rc;

    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_no_signal_left_behind),
        cmocka_unit_test(test_readable_while_answers_wait),
    };

    curl_global_init(CURL_GLOBAL_ALL);

    rc = cmocka_run_group_tests(tests, NULL, NULL);

    curl_global_cleanup();

    return rc;
}
