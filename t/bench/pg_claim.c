
/*
 * The hardest part of campaignd on PostgreSQL (README, "Scaling out"):
 * several campaignd-like workers share one channel's queued messages and
 * its rate limit.  Each worker, in a loop, takes tokens from the channel's
 * bucket (a row of its own), claims as many queued messages as it got
 * with SELECT ... FOR UPDATE SKIP LOCKED under a lease, sends them to a
 * mock provider over HTTP (libcurl multi, as campaignd does), and marks
 * the ones answered 200 as sent.  A worker that dies leaves its claims
 * `sending`; once their lease expires any worker puts them back in the
 * queue, so nothing is lost and only what was in flight can be sent twice.
 * The mock's access log, not the workers, says what was received.
 *
 * Usage:
 *   pg_claim load CONNINFO N RATE
 *       the schema, N queued messages of channel "ch", its bucket at RATE
 *       messages per second (0: no limit)
 *   pg_claim work CONNINFO URL WORKER BATCH LEASE_MS
 *       claims and sends until no message is queued or sending
 *   pg_claim mem URL WORKER WORKERS N BATCH
 *       the same sends of this worker's share of ids 1..N, no PostgreSQL:
 *       the HTTP side's own ceiling
 *   pg_claim check CONNINFO
 *       prints "queued sending sent reclaimed max_attempts"
 *
 * work and mem print "worker W sent S late L requeued R failed F
 * claims C seconds T".  PG_CLAIM_DIE_AFTER=K makes a worker kill -9 itself
 * once its K-th batch has been answered and before it is recorded: the
 * worst moment to die, when all it holds has reached the provider.
 */


#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include <libpq-fe.h>


#define PG_CLAIM_CHANNEL  "ch"
#define PG_CLAIM_ANSWER   512
#define PG_CLAIM_PID      128


typedef struct {
    CURL        *easy;
    long         id;
    const char  *body;
    size_t       len;
    char         answer[PG_CLAIM_ANSWER];
    char         pid[PG_CLAIM_PID];
    int          ok;
} pg_claim_send_t;


typedef struct {
    PGconn             *conn;
    CURLM              *multi;
    struct curl_slist  *headers;
    pg_claim_send_t    *sends;
    const char         *url;
    int                 worker;
    int                 batch;
    double              lease;
    double              rate;
    long                sent;
    long                late;
    long                requeued;
    long                failed;
    long                claims;
    long                die_after;
} pg_claim_t;


static const char  pg_claim_schema[] =
    "DROP TABLE IF EXISTS message, bucket;"

    /* the channel's rate limit, global to every worker: taking tokens
     * locks this row for one short transaction, nothing else does */
    "CREATE TABLE bucket ("
    "  channel text PRIMARY KEY,"
    "  rate double precision NOT NULL,"
    "  burst double precision NOT NULL,"
    "  tokens double precision NOT NULL,"
    "  at timestamptz NOT NULL);"

    /* status 0 queued, 1 sending (claimed by owner until lease_until),
     * 2 sent; attempts > 1 is campaignd's possible_duplicates; lane 0
     * (conversations) goes before lane 1 (runs), due is a retry's or a
     * deferred message's next attempt */
    "CREATE TABLE message ("
    "  id bigint PRIMARY KEY,"
    "  channel text NOT NULL,"
    "  lane smallint NOT NULL DEFAULT 1,"
    "  due timestamptz NOT NULL DEFAULT now(),"
    "  status smallint NOT NULL DEFAULT 0,"
    "  owner int,"
    "  lease_until timestamptz,"
    "  attempts int NOT NULL DEFAULT 0,"
    "  provider_id text,"
    "  body text NOT NULL);"

    /* the queue and the leases are partial indexes: a claim and a reap
     * read only the rows they may take, however big the ledger grows
     * (the claim's order is the queue index's own, so the planner never
     * walks the primary key past the sent rows instead) */
    "CREATE INDEX message_queued ON message (channel, lane, due, id)"
    "  WHERE status = 0;"
    "CREATE INDEX message_leased ON message (lease_until)"
    "  WHERE status = 1;"

    /* one round trip per batch: refill the bucket by the time passed,
     * grant what it holds (at most want), claim that many, and pay only
     * for what was claimed; the bucket's row lock orders the workers */
    "CREATE OR REPLACE FUNCTION claim(ch text, w int, want int, lease float8)"
    "  RETURNS TABLE (mid bigint, mbody text) LANGUAGE plpgsql AS $$"
    "DECLARE"
    "  granted int := want;"
    "  got int;"
    "BEGIN"
    "  UPDATE bucket b SET"
    "    tokens = least(b.burst,"
    "      b.tokens + b.rate * extract(epoch FROM clock_timestamp() - b.at)),"
    "    at = clock_timestamp()"
    "   WHERE b.channel = ch AND b.rate > 0"
    "   RETURNING least(want, floor(b.tokens)::int) INTO granted;"
    "  IF NOT FOUND THEN granted := want; END IF;"
    "  IF granted <= 0 THEN RETURN; END IF;"
    "  RETURN QUERY"
    "    WITH c AS (SELECT m.id FROM message m"
    "                WHERE m.channel = ch AND m.status = 0"
    "                  AND m.due <= now()"
    "                ORDER BY m.lane, m.due, m.id LIMIT granted"
    "                FOR UPDATE SKIP LOCKED)"
    "    UPDATE message m SET status = 1, owner = w,"
    "      lease_until = now() + make_interval(secs => lease),"
    "      attempts = m.attempts + 1"
    "      FROM c WHERE m.id = c.id"
    "    RETURNING m.id, m.body;"
    "  GET DIAGNOSTICS got = ROW_COUNT;"
    "  UPDATE bucket SET tokens = tokens - got"
    "   WHERE channel = ch AND rate > 0;"
    "END $$;";


static const char  pg_claim_load_sql[] =
    "INSERT INTO message (id, channel, body)"
    " SELECT i, '" PG_CLAIM_CHANNEL "',"
    "  '{\"messaging_product\":\"whatsapp\",\"recipient_type\":"
    "\"individual\",\"to\":\"86135' || lpad(i::text, 8, '0') ||"
    "  '\",\"type\":\"text\",\"text\":{\"body\":\"Hi D ' || i ||"
    "  '\"},\"biz_opaque_callback_data\":\"' || i || '\"}'"
    " FROM generate_series(1, $1::bigint) i";


static const char  pg_claim_bucket_sql[] =
    "INSERT INTO bucket VALUES ('" PG_CLAIM_CHANNEL "', $1::float8,"
    " greatest($1::float8 / 10, 1), 0, clock_timestamp())";


/* a dead worker's claims go back to the queue once their lease is over;
 * SKIP LOCKED: never wait on a row a live worker is marking */
static const char  pg_claim_reap_sql[] =
    "WITH r AS (SELECT id FROM message"
    "            WHERE status = 1 AND lease_until < now()"
    "            FOR UPDATE SKIP LOCKED)"
    "UPDATE message m SET status = 0, owner = NULL, lease_until = NULL"
    "  FROM r WHERE m.id = r.id";


/* only the owner of a live claim records it: a worker whose lease ran
 * out (and whose messages another worker may have taken) changes nothing
 * and counts the message as late, a possible duplicate */
static const char  pg_claim_mark_sql[] =
    "UPDATE message m SET status = 2, owner = NULL, lease_until = NULL,"
    "  provider_id = u.pid"
    "  FROM unnest($1::bigint[], $2::text[]) AS u(id, pid)"
    " WHERE m.id = u.id AND m.owner = $3::int AND m.status = 1";


static const char  pg_claim_left_sql[] =
    "SELECT EXISTS (SELECT 1 FROM message"
    "                WHERE channel = '" PG_CLAIM_CHANNEL "' AND status = 0)"
    "    OR EXISTS (SELECT 1 FROM message WHERE status = 1)";


static const char  pg_claim_check_sql[] =
    "SELECT count(*) FILTER (WHERE status = 0),"
    "       count(*) FILTER (WHERE status = 1),"
    "       count(*) FILTER (WHERE status = 2),"
    "       count(*) FILTER (WHERE attempts > 1),"
    "       coalesce(max(attempts), 0)"
    "  FROM message";


static double pg_claim_now(void);
static void pg_claim_sleep(double seconds);
static PGconn *pg_claim_connect(const char *conninfo);
static PGresult *pg_claim_exec(PGconn *conn, const char *sql, int n,
    const char **params, ExecStatusType want);
static int pg_claim_load(const char *conninfo, const char *n,
    const char *rate);
static int pg_claim_check(const char *conninfo);
static int pg_claim_http_init(pg_claim_t *pc);
static size_t pg_claim_answer(char *ptr, size_t size, size_t n, void *data);
static void pg_claim_provider_id(pg_claim_send_t *s);
static int pg_claim_send(pg_claim_t *pc, int n);
static int pg_claim_claim(pg_claim_t *pc, PGresult **res);
static int pg_claim_mark(pg_claim_t *pc, int n);
static int pg_claim_reap(pg_claim_t *pc);
static int pg_claim_left(pg_claim_t *pc);
static int pg_claim_work(pg_claim_t *pc);
static int pg_claim_mem(pg_claim_t *pc, int workers, long total);
static void pg_claim_report(pg_claim_t *pc, double seconds);


static double
pg_claim_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


static void
pg_claim_sleep(double seconds)
{
    struct timespec  ts;

    ts.tv_sec = (time_t) seconds;
    ts.tv_nsec = (long) ((seconds - ts.tv_sec) * 1e9);

    nanosleep(&ts, NULL);
}


static PGconn *
pg_claim_connect(const char *conninfo)
{
    PGconn  *conn;

    conn = PQconnectdb(conninfo);

    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "pg_claim: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }

    return conn;
}


/* every statement's error ends the run: a prototype that carried on after
 * one would measure something other than the design */
static PGresult *
pg_claim_exec(PGconn *conn, const char *sql, int n, const char **params,
    ExecStatusType want)
{
    PGresult  *res;

    if (n == 0 && params == NULL) {
        res = PQexec(conn, sql);

    } else {
        res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    }

    if (PQresultStatus(res) != want) {
        fprintf(stderr, "pg_claim: %s", PQerrorMessage(conn));
        PQclear(res);
        return NULL;
    }

    return res;
}


static int
pg_claim_load(const char *conninfo, const char *n, const char *rate)
{
    PGconn    *conn;
    PGresult  *res;

    conn = pg_claim_connect(conninfo);
    if (conn == NULL) {
        return 1;
    }

    res = pg_claim_exec(conn, pg_claim_schema, 0, NULL, PGRES_COMMAND_OK);
    if (res == NULL) {
        goto failed;
    }
    PQclear(res);

    res = pg_claim_exec(conn, pg_claim_load_sql, 1, &n, PGRES_COMMAND_OK);
    if (res == NULL) {
        goto failed;
    }
    PQclear(res);

    res = pg_claim_exec(conn, pg_claim_bucket_sql, 1, &rate,
                        PGRES_COMMAND_OK);
    if (res == NULL) {
        goto failed;
    }
    PQclear(res);

    /* the planner must know the queue is big, or it scans the table */
    res = pg_claim_exec(conn, "VACUUM ANALYZE message", 0, NULL,
                        PGRES_COMMAND_OK);
    if (res == NULL) {
        goto failed;
    }
    PQclear(res);

    PQfinish(conn);
    return 0;

failed:

    PQfinish(conn);
    return 1;
}


static int
pg_claim_check(const char *conninfo)
{
    int        i;
    PGconn    *conn;
    PGresult  *res;

    conn = pg_claim_connect(conninfo);
    if (conn == NULL) {
        return 1;
    }

    res = pg_claim_exec(conn, pg_claim_check_sql, 0, NULL, PGRES_TUPLES_OK);
    if (res == NULL) {
        PQfinish(conn);
        return 1;
    }

    for (i = 0; i < PQnfields(res); i++) {
        printf("%s%s", i ? " " : "", PQgetvalue(res, 0, i));
    }
    printf("\n");

    PQclear(res);
    PQfinish(conn);
    return 0;
}


static int
pg_claim_http_init(pg_claim_t *pc)
{
    int  i;

    pc->multi = curl_multi_init();
    pc->sends = calloc(pc->batch, sizeof(pg_claim_send_t));

    if (pc->multi == NULL || pc->sends == NULL) {
        return -1;
    }

    curl_multi_setopt(pc->multi, CURLMOPT_MAXCONNECTS, (long) pc->batch);

    pc->headers = curl_slist_append(NULL, "Content-Type: application/json");
    pc->headers = curl_slist_append(pc->headers,
                                    "Authorization: Bearer bench-token");
    pc->headers = curl_slist_append(pc->headers, "Expect:");

    if (pc->headers == NULL) {
        return -1;
    }

    /* one easy handle per slot, reused: its connection stays open */
    for (i = 0; i < pc->batch; i++) {
        pc->sends[i].easy = curl_easy_init();
        if (pc->sends[i].easy == NULL) {
            return -1;
        }

        curl_easy_setopt(pc->sends[i].easy, CURLOPT_HTTPHEADER, pc->headers);
        curl_easy_setopt(pc->sends[i].easy, CURLOPT_WRITEFUNCTION,
                         pg_claim_answer);
        curl_easy_setopt(pc->sends[i].easy, CURLOPT_WRITEDATA, &pc->sends[i]);
        curl_easy_setopt(pc->sends[i].easy, CURLOPT_PRIVATE, &pc->sends[i]);

        /* shorter than any lease: a request still open when its lease
         * ends would race the worker that re-claims the message */
        curl_easy_setopt(pc->sends[i].easy, CURLOPT_TIMEOUT_MS, 1000L);
        curl_easy_setopt(pc->sends[i].easy, CURLOPT_NOSIGNAL, 1L);
    }

    return 0;
}


static size_t
pg_claim_answer(char *ptr, size_t size, size_t n, void *data)
{
    size_t            len, room;
    pg_claim_send_t  *s;

    s = data;
    len = size * n;
    room = PG_CLAIM_ANSWER - 1 - strlen(s->answer);

    strncat(s->answer, ptr, len < room ? len : room);

    return len;
}


/* the provider's message id, as WhatsApp answers it:
 * {"messages":[{"id":"wamid...."}]} */
static void
pg_claim_provider_id(pg_claim_send_t *s)
{
    char    *p, *end;
    size_t   len;

    s->pid[0] = '\0';

    p = strstr(s->answer, "\"messages\"");
    if (p == NULL || (p = strstr(p, "\"id\":\"")) == NULL) {
        return;
    }

    p += sizeof("\"id\":\"") - 1;

    end = strchr(p, '"');
    if (end == NULL) {
        return;
    }

    len = end - p;
    if (len >= PG_CLAIM_PID) {
        len = PG_CLAIM_PID - 1;
    }

    memcpy(s->pid, p, len);
    s->pid[len] = '\0';
}


/* sends slots 0..n-1 at once and waits for every answer; the message id
 * and the worker are in the query string, for the mock's log */
static int
pg_claim_send(pg_claim_t *pc, int n)
{
    int               i, running, left;
    long              status;
    char              url[1024];
    CURLMsg          *m;
    pg_claim_send_t  *s;

    for (i = 0; i < n; i++) {
        s = &pc->sends[i];
        s->answer[0] = '\0';
        s->ok = 0;

        snprintf(url, sizeof(url), "%s?id=%ld&w=%d", pc->url, s->id,
                 pc->worker);

        curl_easy_setopt(s->easy, CURLOPT_URL, url);
        curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body);
        curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE, (long) s->len);
        curl_multi_add_handle(pc->multi, s->easy);
    }

    do {
        if (curl_multi_perform(pc->multi, &running) != CURLM_OK) {
            return -1;
        }

        while ((m = curl_multi_info_read(pc->multi, &left)) != NULL) {
            if (m->msg != CURLMSG_DONE) {
                continue;
            }

            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &s);
            curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE,
                              &status);

            s->ok = (m->data.result == CURLE_OK && status == 200);
            if (s->ok) {
                pg_claim_provider_id(s);

            } else {
                pc->failed++;
            }

            curl_multi_remove_handle(pc->multi, m->easy_handle);
        }

        if (running) {
            curl_multi_poll(pc->multi, NULL, 0, 100, NULL);
        }

    } while (running);

    return 0;
}


/* takes tokens and claims up to a batch; *res holds the claimed rows
 * (their bodies are sent from it) until the batch is marked */
static int
pg_claim_claim(pg_claim_t *pc, PGresult **res)
{
    int          i, n;
    char         worker[16], want[16], lease[32];
    const char  *params[4];

    snprintf(worker, sizeof(worker), "%d", pc->worker);
    snprintf(want, sizeof(want), "%d", pc->batch);
    snprintf(lease, sizeof(lease), "%.3f", pc->lease);

    params[0] = PG_CLAIM_CHANNEL;
    params[1] = worker;
    params[2] = want;
    params[3] = lease;

    *res = pg_claim_exec(pc->conn,
                         "SELECT mid, mbody FROM claim($1, $2, $3, $4)",
                         4, params, PGRES_TUPLES_OK);
    if (*res == NULL) {
        return -1;
    }

    pc->claims++;
    n = PQntuples(*res);

    for (i = 0; i < n; i++) {
        pc->sends[i].id = atol(PQgetvalue(*res, i, 0));
        pc->sends[i].body = PQgetvalue(*res, i, 1);
        pc->sends[i].len = PQgetlength(*res, i, 1);
    }

    return n;
}


/* one statement for the batch's answered messages, as arrays */
static int
pg_claim_mark(pg_claim_t *pc, int n)
{
    int          i, ok;
    char        *ids, *pids, *p, *q, worker[16];
    PGresult    *res;
    const char  *params[3];

    ids = malloc(n * 24 + 3);
    pids = malloc(n * (PG_CLAIM_PID + 3) + 3);
    if (ids == NULL || pids == NULL) {
        free(ids);
        free(pids);
        return -1;
    }

    p = ids;
    q = pids;
    *p++ = '{';
    *q++ = '{';
    ok = 0;

    for (i = 0; i < n; i++) {
        if (!pc->sends[i].ok) {
            continue;   /* its lease runs out and it is sent again */
        }

        p += sprintf(p, "%s%ld", ok ? "," : "", pc->sends[i].id);
        q += sprintf(q, "%s\"%s\"", ok ? "," : "", pc->sends[i].pid);
        ok++;
    }

    strcpy(p, "}");
    strcpy(q, "}");
    snprintf(worker, sizeof(worker), "%d", pc->worker);

    params[0] = ids;
    params[1] = pids;
    params[2] = worker;

    res = NULL;
    if (ok) {
        res = pg_claim_exec(pc->conn, pg_claim_mark_sql, 3, params,
                            PGRES_COMMAND_OK);
    }

    free(ids);
    free(pids);

    if (ok && res == NULL) {
        return -1;
    }

    if (res) {
        i = atoi(PQcmdTuples(res));
        pc->sent += i;
        pc->late += ok - i;
        PQclear(res);
    }

    return 0;
}


static int
pg_claim_reap(pg_claim_t *pc)
{
    PGresult  *res;

    res = pg_claim_exec(pc->conn, pg_claim_reap_sql, 0, NULL,
                        PGRES_COMMAND_OK);
    if (res == NULL) {
        return -1;
    }

    pc->requeued += atoi(PQcmdTuples(res));
    PQclear(res);

    return 0;
}


static int
pg_claim_left(pg_claim_t *pc)
{
    int        left;
    PGresult  *res;

    res = pg_claim_exec(pc->conn, pg_claim_left_sql, 0, NULL,
                        PGRES_TUPLES_OK);
    if (res == NULL) {
        return -1;
    }

    left = (PQgetvalue(res, 0, 0)[0] == 't');
    PQclear(res);

    return left;
}


static int
pg_claim_work(pg_claim_t *pc)
{
    int        n, left;
    double     reaped, wait;
    PGresult  *res;

    res = pg_claim_exec(pc->conn, "SELECT rate FROM bucket", 0, NULL,
                        PGRES_TUPLES_OK);
    if (res == NULL) {
        return -1;
    }

    pc->rate = PQntuples(res) ? atof(PQgetvalue(res, 0, 0)) : 0;
    PQclear(res);

    reaped = pg_claim_now();

    for ( ;; ) {
        /* a quarter of a lease: a dead worker's claims wait at most
         * 1.25 leases before they go out again */
        if (pg_claim_now() - reaped >= pc->lease / 4) {
            if (pg_claim_reap(pc) != 0) {
                return -1;
            }

            reaped = pg_claim_now();
        }

        n = pg_claim_claim(pc, &res);
        if (n < 0) {
            return -1;
        }

        if (n > 0) {
            if (pg_claim_send(pc, n) != 0) {
                PQclear(res);
                return -1;
            }

            if (pc->claims == pc->die_after) {
                raise(SIGKILL);
            }

            if (pg_claim_mark(pc, n) != 0) {
                PQclear(res);
                return -1;
            }
        }

        PQclear(res);

        if (n == 0) {
            left = pg_claim_left(pc);
            if (left <= 0) {
                return left;
            }
        }

        /* short of a batch: the bucket (or the queue) is empty for now;
         * wait about as long as the bucket takes to fill what is missing,
         * instead of asking PostgreSQL again at once */
        if (n < pc->batch) {
            wait = pc->rate > 0 ? (pc->batch - n) / pc->rate : 0.05;
            pg_claim_sleep(wait < 0.001 ? 0.001 : (wait > 0.1 ? 0.1 : wait));
        }
    }
}


/* the same workers' sends with ids dealt out in memory: what HTTP alone
 * allows, the baseline of the claims' cost */
static int
pg_claim_mem(pg_claim_t *pc, int workers, long total)
{
    int             i, n;
    long            next;
    static char     body[] = "{\"messaging_product\":\"whatsapp\","
                             "\"recipient_type\":\"individual\","
                             "\"to\":\"8613500000042\",\"type\":\"text\","
                             "\"text\":{\"body\":\"Hi D 42\"}}";

    next = pc->worker;

    while (next <= total) {
        for (n = 0; n < pc->batch && next <= total; n++) {
            pc->sends[n].id = next;
            pc->sends[n].body = body;
            pc->sends[n].len = sizeof(body) - 1;
            next += workers;
        }

        if (pg_claim_send(pc, n) != 0) {
            return -1;
        }

        for (i = 0; i < n; i++) {
            pc->sent += pc->sends[i].ok;
        }

        pc->claims++;
    }

    return 0;
}


static void
pg_claim_report(pg_claim_t *pc, double seconds)
{
    printf("worker %d sent %ld late %ld requeued %ld failed %ld claims %ld"
           " seconds %.3f\n", pc->worker, pc->sent, pc->late, pc->requeued,
           pc->failed, pc->claims, seconds);
}


int
main(int argc, char **argv)
{
    int         rc;
    double      start;
    pg_claim_t  pc;

    if (argc == 5 && strcmp(argv[1], "load") == 0) {
        return pg_claim_load(argv[2], argv[3], argv[4]);
    }

    if (argc == 3 && strcmp(argv[1], "check") == 0) {
        return pg_claim_check(argv[2]);
    }

    memset(&pc, 0, sizeof(pg_claim_t));

    if (argc == 7 && strcmp(argv[1], "work") == 0) {
        pc.url = argv[3];
        pc.worker = atoi(argv[4]);
        pc.batch = atoi(argv[5]);
        pc.lease = atof(argv[6]) / 1000;
        pc.die_after = getenv("PG_CLAIM_DIE_AFTER")
                       ? atol(getenv("PG_CLAIM_DIE_AFTER")) : 0;

    } else if (argc == 7 && strcmp(argv[1], "mem") == 0) {
        pc.url = argv[2];
        pc.worker = atoi(argv[3]);
        pc.batch = atoi(argv[6]);

    } else {
        fprintf(stderr, "usage: pg_claim load CONNINFO N RATE\n"
                "       pg_claim work CONNINFO URL WORKER BATCH LEASE_MS\n"
                "       pg_claim mem URL WORKER WORKERS N BATCH\n"
                "       pg_claim check CONNINFO\n");
        return 2;
    }

    if (pc.batch < 1 || pc.worker < 1) {
        fprintf(stderr, "pg_claim: WORKER and BATCH must be positive\n");
        return 2;
    }

    curl_global_init(CURL_GLOBAL_DEFAULT);

    if (pg_claim_http_init(&pc) != 0) {
        fprintf(stderr, "pg_claim: out of memory\n");
        return 1;
    }

    start = pg_claim_now();

    if (argv[1][0] == 'm') {
        rc = pg_claim_mem(&pc, atoi(argv[4]), atol(argv[5]));

    } else {
        pc.conn = pg_claim_connect(argv[2]);
        if (pc.conn == NULL) {
            return 1;
        }

        rc = pg_claim_work(&pc);
        PQfinish(pc.conn);
    }

    pg_claim_report(&pc, pg_claim_now() - start);
    fflush(stdout);

    return rc == 0 ? 0 : 1;
}
