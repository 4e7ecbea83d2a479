
/*
 * The purge (cmp_purge.h): a deleted resource's data removed a chunk per
 * write txn, oldest delete first, resumable from the stage it reached.
 */


#include <stdio.h>
#include <string.h>

#include "cmp_purge.h"
#include "cmp_counter.h"
#include "cmp_meta.h"
#include "cmp_instance.h"
#include "cmp_message.h"
#include "cmp_timer.h"
#include "cmp_queue.h"
#include "cmp_json.h"


#define CMP_PURGE_FAMILY      "#purge"
#define CMP_PURGE_FAMILY_LEN  (sizeof(CMP_PURGE_FAMILY))   /* with NUL */
#define CMP_PURGE_SEQ         "purge"
#define CMP_PURGE_TEST        "#test"     /* cmp_instance.h's family */
#define CMP_PURGE_STAGES      8
/*
 * the most one key takes with it: a message, with its provider id,
 * in-flight marker, queue entry and retry timer
 */
#define CMP_PURGE_EACH_MAX    5
/* LMDB's longest key, and so the longest a resume key can be */
#define CMP_PURGE_KEY_MAX     511


typedef struct cmp_purge_s  cmp_purge_t;

typedef int (*cmp_purge_stage_pt)(cmp_purge_t *p);
/* what goes with a key before it is removed; reads it by its key */
typedef int (*cmp_purge_each_pt)(cmp_purge_t *p, const unsigned char *key,
    size_t len);
/* whether a key met walking a whole database is the resource's */
typedef int (*cmp_purge_match_pt)(cmp_purge_t *p, const cmp_val_t *key,
    const cmp_val_t *val);


struct cmp_purge_s {
    cmp_store_t        *st;
    cmp_txn_t          *txn;
    const char         *id;
    size_t              id_len;
    unsigned char       prefix[CMP_ID_MAX + 1];    /* id NUL */
    size_t              plen;
    int                 budget;
    uint64_t            removed;
    unsigned            more:1;
    unsigned char       resume[CMP_PURGE_KEY_MAX];
    size_t              resume_len;
};


/*
 * A stage: a function of its own, the keys "id NUL ..." of db or, with
 * match, a walk of db's keys that start with family (NULL: all of db);
 * each key removed with what each() removes beside it.  db 0 (meta,
 * never purged) ends the plan.
 */
typedef struct {
    cmp_purge_stage_pt  run;
    cmp_db_e            db;
    cmp_purge_each_pt   each;
    cmp_purge_match_pt  match;
    const char         *family;
} cmp_purge_stage_t;


typedef struct {
    const cmp_kind_t   *kind;
    cmp_purge_stage_t   stages[CMP_PURGE_STAGES];
} cmp_purge_plan_t;


static const cmp_purge_plan_t *cmp_purge_plan(const char *kind, size_t len);
static int cmp_purge_chunk(cmp_purge_t *p, const cmp_purge_plan_t *plan,
    uint32_t *stage);
static int cmp_purge_prefix(cmp_purge_t *p, cmp_db_e db,
    const unsigned char *prefix, size_t plen, cmp_purge_each_pt each);
static int cmp_purge_scan(cmp_purge_t *p, cmp_db_e db, const char *family,
    size_t flen, cmp_purge_match_pt match, cmp_purge_each_pt each);
static int cmp_purge_del(cmp_purge_t *p, cmp_db_e db, const void *key,
    size_t len);
static int cmp_purge_instance(cmp_purge_t *p, const unsigned char *key,
    size_t len);
static int cmp_purge_live(cmp_purge_t *p);
static int cmp_purge_nothing(void *ctx, const char *contact, size_t len,
    uint32_t run);
static int cmp_purge_message(cmp_purge_t *p, const unsigned char *key,
    size_t len);
static int cmp_purge_retired(cmp_purge_t *p);
static int cmp_purge_channel_waits(cmp_purge_t *p);
static int cmp_purge_test_match(cmp_purge_t *p, const cmp_val_t *key,
    const cmp_val_t *val);
static int cmp_purge_test_send(cmp_purge_t *p, const unsigned char *key,
    size_t len);
static int cmp_purge_member(cmp_purge_t *p, const unsigned char *key,
    size_t len);


/*
 * A campaign's own keys, each with what it names: an instance its timer
 * and "#wait" entry, a message its provider id, in-flight marker, queue
 * entry and retry timer (the record keeps their keys), so no stage walks
 * a database that other campaigns share.  A queue entry or retry timer
 * of a record written before it kept them is dropped when it is met: the
 * dispatcher and the timers skip what names no message.
 */
static const cmp_purge_plan_t  cmp_purge_plans[] = {
    { &cmp_kind_campaigns, {
        { NULL, CMP_DB_INSTANCES, cmp_purge_instance, NULL, NULL },
        { cmp_purge_live, 0, NULL, NULL, NULL },
        { NULL, CMP_DB_MESSAGES, cmp_purge_message, NULL, NULL },
        { NULL, CMP_DB_COUNTERS, NULL, NULL, NULL },
        { cmp_purge_retired, 0, NULL, NULL, NULL },
        { cmp_purge_retired, 0, NULL, NULL, NULL },
        /* last, so a purge under way when it came resumes at its stage */
        { NULL, CMP_DB_MESSAGE_STATUS, NULL, NULL, NULL } } },

    /* what was queued on a channel can never go out through it */
    { &cmp_kind_channels, {
        { NULL, CMP_DB_QUEUE, NULL, NULL, NULL },
        { cmp_purge_channel_waits, 0, NULL, NULL, NULL } } },

    { &cmp_kind_groups, {
        { NULL, CMP_DB_MEMBERS, cmp_purge_member, NULL, NULL } } },

    /* test sends: few, and keyed by their own ids, so their family is walked */
    { &cmp_kind_flows, {
        { NULL, CMP_DB_INSTANCES, cmp_purge_test_send, cmp_purge_test_match,
          CMP_PURGE_TEST } } },
};


static const cmp_purge_plan_t *
cmp_purge_plan(const char *kind, size_t len)
{
    size_t  i;

    for (i = 0; i < sizeof(cmp_purge_plans) / sizeof(cmp_purge_plans[0]);
         i++)
    {
        if (strlen(cmp_purge_plans[i].kind->name) == len
            && memcmp(cmp_purge_plans[i].kind->name, kind, len) == 0)
        {
            return &cmp_purge_plans[i];
        }
    }

    return NULL;
}


int
cmp_purge_add(cmp_store_t *st, cmp_txn_t *txn, const cmp_kind_t *kind,
    const char *id, size_t id_len)
{
    int            rc;
    size_t         n;
    uint64_t       seq;
    cmp_val_t      k, v;
    unsigned char  key[CMP_PURGE_FAMILY_LEN + 8];
    unsigned char  val[16 + CMP_ID_MAX + 2 + 4];

    if (cmp_purge_plan(kind->name, strlen(kind->name)) == NULL) {
        return 0;
    }

    n = strlen(kind->name);

    if (n >= 16 || id_len == 0 || id_len > CMP_ID_MAX) {
        return CMP_BAD_VALSIZE;
    }

    rc = cmp_seq_next(st, txn, CMP_PURGE_SEQ, &seq);
    if (rc != 0) {
        return rc;
    }

    memcpy(key, CMP_PURGE_FAMILY, CMP_PURGE_FAMILY_LEN);
    cmp_be64_put(key + CMP_PURGE_FAMILY_LEN, seq);

    memcpy(val, kind->name, n + 1);
    memcpy(val + n + 1, id, id_len);
    n += 1 + id_len;
    val[n++] = '\0';
    memset(val + n, 0, 4);
    n += 4;

    k.mv_data = key;
    k.mv_size = sizeof(key);
    v.mv_data = val;
    v.mv_size = n;

    return cmp_db_put(st, txn, CMP_DB_TOMBSTONES, &k, &v, 0);
}


int
cmp_purge_step(cmp_store_t *st, int budget, cmp_purge_report_t *r)
{
    int                      rc;
    size_t                   klen, vlen, n, id_len;
    uint32_t                 stage;
    cmp_val_t                k, v;
    cmp_txn_t               *txn;
    cmp_purge_t              p;
    cmp_cursor_t            *cur;
    const unsigned char     *s, *end;
    const cmp_purge_plan_t  *plan;
    unsigned char            key[CMP_PURGE_FAMILY_LEN + 8];
    unsigned char            val[16 + CMP_ID_MAX + 2 + 4 + CMP_PURGE_KEY_MAX];

    memset(r, 0, sizeof(cmp_purge_report_t));

    /* a look first: an idle store costs a reader, not the writer's lock */
    rc = cmp_store_txn_begin(st, NULL, CMP_RDONLY, &txn);
    if (rc != 0) {
        return rc;
    }

    rc = cmp_cursor_open(st, txn, CMP_DB_TOMBSTONES, &cur);

    if (rc == 0) {
        k.mv_data = CMP_PURGE_FAMILY;
        k.mv_size = CMP_PURGE_FAMILY_LEN;
        rc = cmp_cursor_get(cur, &k, &v, CMP_SET_RANGE);

        if (rc == 0 && (k.mv_size != sizeof(key)
                        || memcmp(k.mv_data, CMP_PURGE_FAMILY,
                                  CMP_PURGE_FAMILY_LEN) != 0))
        {
            rc = CMP_NOTFOUND;
        }

        cmp_cursor_close(cur);
    }

    cmp_txn_abort(txn);

    if (rc != 0) {
        return (rc == CMP_NOTFOUND) ? 0 : rc;
    }

    rc = cmp_store_txn_begin(st, NULL, 0, &txn);
    if (rc != 0) {
        return rc;
    }

    /* only campaignd purges: the oldest entry is still the one seen */
    rc = cmp_cursor_open(st, txn, CMP_DB_TOMBSTONES, &cur);
    if (rc != 0) {
        cmp_txn_abort(txn);
        return rc;
    }

    k.mv_data = CMP_PURGE_FAMILY;
    k.mv_size = CMP_PURGE_FAMILY_LEN;
    rc = cmp_cursor_get(cur, &k, &v, CMP_SET_RANGE);
    cmp_cursor_close(cur);

    if (rc != 0 || k.mv_size != sizeof(key)
        || memcmp(k.mv_data, CMP_PURGE_FAMILY, CMP_PURGE_FAMILY_LEN) != 0
        || v.mv_size > sizeof(val))
    {
        cmp_txn_abort(txn);
        return (rc == 0 || rc == CMP_NOTFOUND) ? 0 : rc;
    }

    klen = k.mv_size;
    memcpy(key, k.mv_data, klen);
    vlen = v.mv_size;
    memcpy(val, v.mv_data, vlen);

    /* kind NUL id NUL be32 stage, resume key */
    s = val;
    end = val + vlen;
    plan = NULL;
    stage = 0;
    id_len = 0;

    n = strnlen((const char *) s, vlen);

    if (n < sizeof(r->kind) && n + 1 < vlen) {
        plan = cmp_purge_plan((const char *) s, n);
        s += n + 1;

        id_len = strnlen((const char *) s, end - s);

        if (id_len == 0 || id_len > CMP_ID_MAX
            || s + id_len + 1 + 4 > end)
        {
            plan = NULL;

        } else {
            /* the log's words: "campaign C" */
            snprintf(r->kind, sizeof(r->kind), "%s", plan->kind->singular);
            memcpy(r->id, s, id_len);
            r->id[id_len] = '\0';
            s += id_len + 1;
            stage = ((uint32_t) s[0] << 24) | ((uint32_t) s[1] << 16)
                    | ((uint32_t) s[2] << 8) | s[3];
            s += 4;
        }
    }

    memset(&p, 0, sizeof(cmp_purge_t));
    p.st = st;
    p.txn = txn;
    /* room for a walk's look and the most one key takes: always a step */
    p.budget = (budget > CMP_PURGE_EACH_MAX) ? budget
                                             : CMP_PURGE_EACH_MAX + 1;

    rc = 0;

    if (plan != NULL) {
        p.id = r->id;
        p.id_len = id_len;
        memcpy(p.prefix, r->id, id_len);
        p.prefix[id_len] = '\0';
        p.plen = id_len + 1;
        p.resume_len = end - s;
        memcpy(p.resume, s, p.resume_len);

        rc = cmp_purge_chunk(&p, plan, &stage);
    }

    k.mv_data = key;
    k.mv_size = klen;

    if (rc == 0 && p.more) {
        /* where the next chunk goes on */
        n = (s - val) - 4;
        val[n] = (unsigned char) (stage >> 24);
        val[n + 1] = (unsigned char) (stage >> 16);
        val[n + 2] = (unsigned char) (stage >> 8);
        val[n + 3] = (unsigned char) stage;
        memcpy(val + n + 4, p.resume, p.resume_len);

        v.mv_data = val;
        v.mv_size = n + 4 + p.resume_len;

        rc = cmp_db_put(st, txn, CMP_DB_TOMBSTONES, &k, &v, 0);
        r->more = 1;

    } else if (rc == 0) {
        /* done, or a kind this build has no plan for: nothing to keep */
        rc = cmp_db_del(st, txn, CMP_DB_TOMBSTONES, &k, NULL);
        r->finished = 1;

        if (rc == 0 && cmp_cursor_open(st, txn, CMP_DB_TOMBSTONES, &cur)
                       == 0)
        {
            k.mv_data = CMP_PURGE_FAMILY;
            k.mv_size = CMP_PURGE_FAMILY_LEN;

            r->more = (cmp_cursor_get(cur, &k, &v, CMP_SET_RANGE) == 0
                       && k.mv_size == sizeof(key)
                       && memcmp(k.mv_data, CMP_PURGE_FAMILY,
                                 CMP_PURGE_FAMILY_LEN) == 0);
            cmp_cursor_close(cur);
        }
    }

    if (rc != 0) {
        cmp_txn_abort(txn);
        memset(r, 0, sizeof(cmp_purge_report_t));
        return rc;
    }

    rc = cmp_txn_commit(txn);

    if (rc != 0) {
        memset(r, 0, sizeof(cmp_purge_report_t));
        return rc;
    }

    r->removed = p.removed;

    return 0;
}


/* stages from *stage on until the budget is spent (p->more) or all done */
static int
cmp_purge_chunk(cmp_purge_t *p, const cmp_purge_plan_t *plan,
    uint32_t *stage)
{
    int                       rc;
    const cmp_purge_stage_t  *st;

    for ( ;; ) {
        if (*stage >= CMP_PURGE_STAGES) {
            return 0;
        }

        st = &plan->stages[*stage];

        if (st->run != NULL) {
            rc = st->run(p);

        } else if (st->match != NULL) {
            rc = cmp_purge_scan(p, st->db, st->family ? st->family : "",
                                st->family ? strlen(st->family) + 1 : 0,
                                st->match, st->each);

        } else if (st->db != 0) {
            rc = cmp_purge_prefix(p, st->db, p->prefix, p->plen, st->each);

        } else {
            return 0;
        }

        if (rc != 0 || p->more) {
            return rc;
        }

        (*stage)++;
        p->resume_len = 0;
    }
}


/*
 * Removes the keys of db that start with prefix, each with what each()
 * removes beside it.  Every key removed costs a unit of the budget, so a
 * chunk never removes more than its budget.
 */
static int
cmp_purge_prefix(cmp_purge_t *p, cmp_db_e db, const unsigned char *prefix,
    size_t plen, cmp_purge_each_pt each)
{
    int            rc;
    size_t         klen;
    cmp_val_t      k, v;
    cmp_cursor_t  *cur;
    unsigned char  key[CMP_PURGE_KEY_MAX];

    /* a counter this txn moved must not come back at its commit */
    if (db == CMP_DB_COUNTERS) {
        rc = cmp_counter_flush(p->st, p->txn);
        if (rc != 0) {
            return rc;
        }
    }

    rc = cmp_cursor_open(p->st, p->txn, db, &cur);
    if (rc != 0) {
        return rc;
    }

    for ( ;; ) {
        /* what each() removes beside the key is paid for beforehand */
        if (p->budget < (each != NULL ? CMP_PURGE_EACH_MAX : 1)) {
            p->more = 1;
            break;
        }

        /* seek again each time: the first key left is the next one */
        k.mv_data = (void *) prefix;
        k.mv_size = plen;

        rc = cmp_cursor_get(cur, &k, &v, CMP_SET_RANGE);

        if (rc != 0 || k.mv_size < plen || k.mv_size > sizeof(key)
            || memcmp(k.mv_data, prefix, plen) != 0)
        {
            break;
        }

        klen = k.mv_size;
        memcpy(key, k.mv_data, klen);

        if (each != NULL) {
            rc = each(p, key, klen);
            if (rc != 0) {
                break;
            }
        }

        rc = cmp_purge_del(p, db, key, klen);
        if (rc != 0) {
            break;
        }
    }

    cmp_cursor_close(cur);

    return (rc == CMP_NOTFOUND) ? 0 : rc;
}


/*
 * Walks the keys of db that start with family (all of it: "") from
 * p->resume, removing what match() says is the resource's, each with
 * what each() removes beside it.  Every key looked at costs a unit of
 * the budget; where it ran out (in each() too) is the next p->resume.
 */
static int
cmp_purge_scan(cmp_purge_t *p, cmp_db_e db, const char *family, size_t flen,
    cmp_purge_match_pt match, cmp_purge_each_pt each)
{
    int            rc;
    size_t         klen;
    cmp_val_t      k, v;
    cmp_cursor_t  *cur;
    unsigned char  key[CMP_PURGE_KEY_MAX];

    rc = cmp_cursor_open(p->st, p->txn, db, &cur);
    if (rc != 0) {
        return rc;
    }

    if (p->resume_len == 0 && flen == 0) {
        rc = cmp_cursor_get(cur, &k, &v, CMP_FIRST);

    } else {
        k.mv_data = p->resume_len ? p->resume : (unsigned char *) family;
        k.mv_size = p->resume_len ? p->resume_len : flen;
        rc = cmp_cursor_get(cur, &k, &v, CMP_SET_RANGE);
    }

    while (rc == 0) {
        if (k.mv_size < flen || memcmp(k.mv_data, family, flen) != 0) {
            break;
        }

        if (k.mv_size > sizeof(key)) {
            rc = cmp_cursor_get(cur, &k, &v, CMP_NEXT);
            continue;
        }

        if (p->budget <= 0) {
            memcpy(p->resume, k.mv_data, k.mv_size);
            p->resume_len = k.mv_size;
            p->more = 1;
            break;
        }

        p->budget--;

        if (!match(p, &k, &v)) {
            rc = cmp_cursor_get(cur, &k, &v, CMP_NEXT);
            continue;
        }

        klen = k.mv_size;
        memcpy(key, k.mv_data, klen);

        if (each != NULL) {
            rc = each(p, key, klen);

            if (rc != 0 || p->more) {
                /* the key stays: the next chunk goes on with it */
                memcpy(p->resume, key, klen);
                p->resume_len = klen;
                break;
            }
        }

        /* the walk's unit paid for looking; the removal costs none more */
        p->budget++;

        rc = cmp_purge_del(p, db, key, klen);
        if (rc != 0) {
            break;
        }

        k.mv_data = key;
        k.mv_size = klen;
        rc = cmp_cursor_get(cur, &k, &v, CMP_SET_RANGE);
    }

    cmp_cursor_close(cur);

    return (rc == CMP_NOTFOUND) ? 0 : rc;
}


/* one key that may be gone already; counted against the budget */
static int
cmp_purge_del(cmp_purge_t *p, cmp_db_e db, const void *key, size_t len)
{
    int        rc;
    cmp_val_t  k;

    k.mv_data = (void *) key;
    k.mv_size = len;

    rc = cmp_db_del(p->st, p->txn, db, &k, NULL);

    if (rc == CMP_NOTFOUND) {
        return 0;
    }

    if (rc == 0) {
        p->budget--;
        p->removed++;
    }

    return rc;
}


/* an instance's timer and the "#wait" entry naming it go with it */
static int
cmp_purge_instance(cmp_purge_t *p, const unsigned char *key, size_t len)
{
    int          rc;
    char         ch[CMP_ID_MAX + 1], addr[CMP_FKEY_MAX];
    json_t      *inst, *t;
    int64_t      due;
    uint64_t     seq, version;
    const char  *s;

    rc = cmp_instance_load(p->st, p->txn, key, len, &inst, &seq, &version);

    if (rc == CMP_CORRUPTED) {
        return 0;
    }

    if (rc != 0) {
        return rc;
    }

    t = json_object_get(inst, "timer_ms");
    due = json_is_integer(t) ? (int64_t) json_integer_value(t) : -1;

    s = json_string_value(json_object_get(inst, "last_channel"));
    snprintf(ch, sizeof(ch), "%s", s ? s : "");
    s = json_string_value(json_object_get(inst, "last_address"));
    snprintf(addr, sizeof(addr), "%s", s ? s : "");

    json_decref(inst);

    if (due >= 0) {
        rc = cmp_timer_del(p->st, p->txn, due, CMP_TIMER_INSTANCE, key,
                           len);
        if (rc != 0) {
            return rc;
        }

        p->budget--;
    }

    if (ch[0] == '\0' || addr[0] == '\0') {
        return 0;
    }

    /* only when it names this one: a newer instance's wait stays */
    p->budget--;

    return cmp_wait_del(p->st, p->txn, ch, addr, key, len);
}


static int
cmp_purge_live(cmp_purge_t *p)
{
    int       rc;
    unsigned  n;

    if (p->budget <= 0) {
        p->more = 1;
        return 0;
    }

    rc = cmp_live_take(p->st, p->txn, p->id, p->id_len, p->budget,
                       cmp_purge_nothing, NULL, &n);

    p->budget -= n;
    p->removed += n;

    if (rc != 0 || p->budget <= 0) {
        p->more = (rc == 0);
        return rc;
    }

    rc = cmp_fill_del(p->st, p->txn, p->id, p->id_len);

    return (rc == CMP_NOTFOUND) ? 0 : rc;
}


/* a cmp_live_visit_pt: a taken "#live" entry needs nothing more */
static int
cmp_purge_nothing(void *ctx, const char *contact, size_t len, uint32_t run)
{
    (void) ctx;
    (void) contact;
    (void) len;
    (void) run;

    return 0;
}


/*
 * A message's provider id and in-flight marker go with it, and the
 * store's gauges stop counting it.  The provider id stays when it names
 * another message (the raw key, or its hex form as older stores wrote).
 */
static int
cmp_purge_message(cmp_purge_t *p, const unsigned char *key, size_t len)
{
    int          rc;
    int          removed;
    char         pid[CMP_PURGE_KEY_MAX + 1], status[16];
    char         hex[2 * CMP_MESSAGE_KEY_MAX + 1], ch[CMP_ID_MAX + 1];
    json_t      *msg, *t;
    size_t       vlen;
    int64_t      seq, retry;
    const char  *s, *v;

    rc = cmp_message_load(p->st, p->txn, key, len, &msg);

    if (rc != 0 && rc != CMP_CORRUPTED) {
        return rc;
    }

    pid[0] = '\0';
    status[0] = '\0';
    ch[0] = '\0';
    seq = -1;
    retry = -1;

    if (rc == 0) {
        /* the queue entry and the retry timer the record names */
        s = json_string_value(json_object_get(msg, "channel_id"));
        snprintf(ch, sizeof(ch), "%s", s ? s : "");
        t = json_object_get(msg, CMP_QUEUE_SEQ_FIELD);
        seq = json_is_integer(t) ? (int64_t) json_integer_value(t) : -1;
        t = json_object_get(msg, CMP_RETRY_AT_FIELD);
        retry = json_is_integer(t) ? (int64_t) json_integer_value(t) : -1;

        s = json_string_value(json_object_get(msg, "provider_message_id"));

        if (s != NULL && strlen(s) < sizeof(pid)) {
            strcpy(pid, s);
        }

        s = json_string_value(json_object_get(msg, "status"));

        if (s != NULL && strlen(s) < sizeof(status)) {
            strcpy(status, s);
        }

        json_decref(msg);
    }

    if (pid[0] != '\0' && len <= CMP_MESSAGE_KEY_MAX) {
        rc = cmp_message_provider_get(p->st, p->txn, pid, strlen(pid), &v,
                                      &vlen);

        if (rc == 0) {
            cmp_hex(hex, key, len);

            if ((vlen == len && memcmp(v, key, len) == 0)
                || (vlen == 2 * len && memcmp(v, hex, 2 * len) == 0))
            {
                rc = cmp_purge_del(p, CMP_DB_MESSAGE_BY_PROVIDER, pid,
                                   strlen(pid));
            }
        }

        if (rc != 0 && rc != CMP_NOTFOUND) {
            return rc;
        }
    }

    /* its in-flight marker, if a crash left one */
    rc = cmp_queue_sending_del(p->st, p->txn, key, len);
    if (rc != 0) {
        return rc;
    }

    p->budget--;

    /* gone already when it was sent or came due: then nothing to remove */
    if (seq >= 0 && ch[0] != '\0') {
        rc = cmp_queue_del_message(p->st, p->txn, ch, (uint64_t) seq, key,
                                   len, &removed);
        if (rc != 0) {
            return rc;
        }

        p->removed += removed;
        p->budget -= removed;
    }

    if (retry >= 0) {
        rc = cmp_timer_del(p->st, p->txn, retry, CMP_TIMER_RETRY, key, len);
        if (rc != 0) {
            return rc;
        }

        p->budget--;
    }

    /* a test send's messages ("#" + instance) are in no gauge */
    return (status[0] != '\0' && key[0] != '#')
           ? cmp_funnel_forget(p->st, p->txn, status) : 0;
}


/*
 * Where the walks of the timers and of the queue were: a purge under way
 * from an older build resumes at its stage's index, so the slots stay.
 */
static int
cmp_purge_retired(cmp_purge_t *p)
{
    (void) p;

    return 0;
}


/* no reply can come in on a deleted channel: its waits are dead ends */
static int
cmp_purge_channel_waits(cmp_purge_t *p)
{
    size_t         n;
    unsigned char  buf[CMP_FKEY_MAX];

    n = cmp_wait_prefix(buf, p->id, p->id_len);

    return (n == 0) ? 0 : cmp_purge_prefix(p, CMP_DB_INSTANCES, buf, n, NULL);
}


/* "#test" NUL instance id -> be64 seq, be64 version, {"flow_id", ...} */
static int
cmp_purge_test_match(cmp_purge_t *p, const cmp_val_t *key,
    const cmp_val_t *val)
{
    int          yes;
    char         err[64];
    json_t      *inst;
    const char  *flow;

    (void) key;

    if (val->mv_size <= CMP_RECORD_HEADER) {
        return 0;
    }

    inst = cmp_json_parse((char *) val->mv_data + CMP_RECORD_HEADER,
                          val->mv_size - CMP_RECORD_HEADER, err,
                          sizeof(err));

    flow = json_string_value(json_object_get(inst, "flow_id"));
    yes = (flow != NULL && strlen(flow) == p->id_len
           && memcmp(flow, p->id, p->id_len) == 0);

    json_decref(inst);

    return yes;
}


/*
 * A test send of the flow: its messages ("#" + instance id NUL ...),
 * then its timer, "#wait" entry and "#queued" marker; the walk removes
 * the record itself once all of that is gone.
 */
static int
cmp_purge_test_send(cmp_purge_t *p, const unsigned char *key, size_t len)
{
    int            rc;
    size_t         id_len;
    cmp_record_t   rec;
    unsigned char  prefix[CMP_ID_MAX + 2];

    id_len = len - sizeof(CMP_PURGE_TEST);

    if (id_len == 0 || id_len > CMP_ID_MAX) {
        return 0;
    }

    prefix[0] = '#';
    memcpy(prefix + 1, key + sizeof(CMP_PURGE_TEST), id_len);
    prefix[1 + id_len] = '\0';

    rc = cmp_purge_prefix(p, CMP_DB_MESSAGES, prefix, id_len + 2,
                          cmp_purge_message);

    if (rc != 0 || p->more) {
        return rc;
    }

    if (p->budget < CMP_PURGE_EACH_MAX) {
        p->more = 1;
        return 0;
    }

    rc = cmp_purge_instance(p, key, len);

    if (rc == 0 && cmp_instance_get(p->st, p->txn, key, len, &rec) == 0) {
        rc = cmp_instance_dequeue(p->st, p->txn, rec.seq, (char *) prefix + 1,
                                  id_len);
        rc = (rc == CMP_NOTFOUND) ? 0 : rc;
        p->budget--;
    }

    return rc;
}


/* group NUL contact: the contact's side, contact NUL group, goes too */
static int
cmp_purge_member(cmp_purge_t *p, const unsigned char *key, size_t len)
{
    size_t         clen;
    unsigned char  back[2 * CMP_ID_MAX + 2];

    clen = len - p->plen;

    if (clen == 0 || clen > CMP_ID_MAX) {
        return 0;
    }

    memcpy(back, key + p->plen, clen);
    back[clen] = '\0';
    memcpy(back + clen + 1, p->id, p->id_len);

    return cmp_purge_del(p, CMP_DB_MEMBER_OF, back, clen + 1 + p->id_len);
}
