
/*
 * The ceiling of campaignd's dispatch: libcurl's multi interface alone,
 * one thread, the same request campaignd makes (POST, the same headers
 * and body), as many in flight as campaignd keeps, its easy handles
 * reused; no store, no flow.  Prints requests per second.
 *
 * Usage: curl_ceiling URL BODY IN_FLIGHT SECONDS
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <curl/curl.h>


static size_t curl_ceiling_discard(char *ptr, size_t size, size_t n,
    void *data);
static double curl_ceiling_now(void);


static size_t
curl_ceiling_discard(char *ptr, size_t size, size_t n, void *data)
{
    (void) ptr;
    (void) data;

    return size * n;
}


static double
curl_ceiling_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


int
main(int argc, char **argv)
{
    int                 i, n, running, left;
    long                done, failed;
    CURL              **easy;
    CURLM              *multi;
    double              start, end, now, cpu;
    CURLMsg            *m;
    struct rusage       ru;
    struct curl_slist  *headers;

    if (argc != 5) {
        fprintf(stderr, "usage: curl_ceiling URL BODY IN_FLIGHT SECONDS\n");
        return 2;
    }

    n = atoi(argv[3]);
    if (n < 1) {
        n = 1;
    }

    curl_global_init(CURL_GLOBAL_DEFAULT);

    multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long) n);

    headers = curl_slist_append(NULL, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Authorization: Bearer bench-token");
    headers = curl_slist_append(headers, "Expect:");

    easy = calloc(n, sizeof(CURL *));
    if (easy == NULL || multi == NULL || headers == NULL) {
        return 1;
    }

    for (i = 0; i < n; i++) {
        easy[i] = curl_easy_init();
        curl_easy_setopt(easy[i], CURLOPT_URL, argv[1]);
        curl_easy_setopt(easy[i], CURLOPT_POSTFIELDS, argv[2]);
        curl_easy_setopt(easy[i], CURLOPT_POSTFIELDSIZE,
                         (long) strlen(argv[2]));
        curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION,
                         curl_ceiling_discard);
        curl_easy_setopt(easy[i], CURLOPT_NOSIGNAL, 1L);
        curl_multi_add_handle(multi, easy[i]);
    }

    done = 0;
    failed = 0;
    start = curl_ceiling_now();
    end = start + atof(argv[4]);

    do {
        curl_multi_perform(multi, &running);

        while ((m = curl_multi_info_read(multi, &left)) != NULL) {
            if (m->msg != CURLMSG_DONE) {
                continue;
            }

            if (m->data.result == CURLE_OK) {
                done++;

            } else {
                failed++;
            }

            /* the handle goes again at once: as many in flight as asked */
            curl_multi_remove_handle(multi, m->easy_handle);
            curl_multi_add_handle(multi, m->easy_handle);
        }

        curl_multi_poll(multi, NULL, 0, 100, NULL);
        now = curl_ceiling_now();

    } while (now < end);

    /* requests/s, and the CPU microseconds each cost this process */
    getrusage(RUSAGE_SELF, &ru);
    cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec
          + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;

    printf("%ld %.1f\n", (long) (done / (now - start)),
           done > 0 ? cpu * 1e6 / done : 0.0);

    if (failed) {
        fprintf(stderr, "curl_ceiling: %ld request(s) failed\n", failed);
    }

    for (i = 0; i < n; i++) {
        curl_multi_remove_handle(multi, easy[i]);
        curl_easy_cleanup(easy[i]);
    }

    free(easy);
    curl_slist_free_all(headers);
    curl_multi_cleanup(multi);
    curl_global_cleanup();

    return 0;
}
