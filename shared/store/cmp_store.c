
/*
 * The store's environment: opening it, the schema check, txns, and the
 * calls every key family (cmp_record.c, cmp_meta.c, ...) is made of.
 */


#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cmp_store.h"
#include "cmp_meta.h"
#include "cmp_counter.h"


#define CMP_META_SCHEMA   "schema_version"

/* the size the map was last grown to at an open (README "campaign_store") */
#define CMP_META_MAP_SIZE "map_size"


typedef struct {
    const char  *name;
    unsigned     flags;
} cmp_db_def_t;


static int cmp_store_init_dbs(cmp_store_t *st, size_t grown, char *err,
    size_t err_len);
static int cmp_store_note(MDB_env *env, int rc);
static int cmp_db_seek(cmp_store_t *st, MDB_txn *txn, cmp_db_e db,
    const void *from, size_t len, MDB_cursor **cur, MDB_val *k, MDB_val *v);
static int cmp_db_visit(cmp_store_t *st, MDB_txn *txn, cmp_db_e db,
    const void *from, size_t len, cmp_db_visit_pt visit, void *ctx,
    int take);


/*
 * Order databases are keyed by a big-endian creation sequence, so that
 * "newest first" is a reverse cursor walk and a page cursor is just a seq.
 */
static const cmp_db_def_t  cmp_db_defs[CMP_DB_COUNT] = {
    { "meta", 0 },
    { "secrets", 0 },
    { "refs", 0 },
    { "idempotency", 0 },
    { "channels", 0 },
    { "channels_order", 0 },
    { "contacts", 0 },
    { "contacts_order", 0 },
    { "groups", 0 },
    { "groups_order", 0 },
    { "flows", 0 },
    { "flows_order", 0 },
    { "campaigns", 0 },
    { "campaigns_order", 0 },
    { "index", 0 },
    { "members", 0 },
    { "member_of", 0 },
    { "instances", 0 },
    { "timers", 0 },
    { "queue", 0 },
    { "messages", 0 },
    { "message_by_provider", 0 },
    { "message_status", 0 },
    { "counters", 0 },
    { "inbox", 0 },
    { "tombstones", 0 },
};


/*
 * "a NUL b" in buf, the key layout of most families: a never holds NUL,
 * so the keys of one a sort together, by b.  0: it is over size bytes.
 */
size_t
cmp_key_join(void *buf, size_t size, const void *a, size_t alen,
    const void *b, size_t blen)
{
    unsigned char  *p;

    if (alen + 1 + blen > size) {
        return 0;
    }

    p = buf;

    memcpy(p, a, alen);
    p[alen] = '\0';
    memcpy(p + alen + 1, b, blen);

    return alen + 1 + blen;
}


/* a database's name in the environment, as tools and logs show it */
const char *
cmp_store_db_name(cmp_db_e db)
{
    return (db < CMP_DB_COUNT) ? cmp_db_defs[db].name : "";
}


void
cmp_be64_put(unsigned char *p, uint64_t v)
{
    int  i;

    for (i = 7; i >= 0; i--) {
        p[i] = (unsigned char) (v & 0xff);
        v >>= 8;
    }
}


uint64_t
cmp_be64_get(const unsigned char *p)
{
    int       i;
    uint64_t  v;

    v = 0;

    for (i = 0; i < 8; i++) {
        v = (v << 8) | p[i];
    }

    return v;
}


void
cmp_be32_put(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char) (v >> 24);
    p[1] = (unsigned char) (v >> 16);
    p[2] = (unsigned char) (v >> 8);
    p[3] = (unsigned char) v;
}


uint32_t
cmp_be32_get(const unsigned char *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}


int
cmp_store_open(cmp_store_t *st, const char *path, size_t max_bytes,
    unsigned readers, char *err, size_t err_len)
{
    int          rc;
    size_t       grown;
    struct stat  sb;
    MDB_envinfo  info;

    memset(st, 0, sizeof(cmp_store_t));
    st->max_bytes = max_bytes;

    if (stat(path, &sb) != 0) {
        snprintf(err, err_len, "cannot access store \"%s\": %s",
                 path, strerror(errno));
        return errno;
    }

    if (!S_ISDIR(sb.st_mode)) {
        snprintf(err, err_len, "store \"%s\" is not a directory", path);
        return ENOTDIR;
    }

    rc = mdb_env_create(&st->env);
    if (rc != 0) {
        snprintf(err, err_len, "mdb_env_create() failed: %s",
                 mdb_strerror(rc));
        return rc;
    }

    /* the calls that see only a txn find the store's flags through it */
    (void) mdb_env_set_userctx(st->env, st);
    (void) mdb_env_set_mapsize(st->env, max_bytes);
    (void) mdb_env_set_maxdbs(st->env, CMP_DB_COUNT + 2);
    (void) mdb_env_set_maxreaders(st->env, readers);

    /*
     * MDB_NOTLS: nginx renews one read txn per worker on the event loop
     * while a pool thread writes, so slots belong to txns, not threads.
     */
    rc = mdb_env_open(st->env, path, MDB_NOTLS, 0600);
    if (rc != 0) {
        snprintf(err, err_len, "mdb_env_open(\"%s\") failed: %s",
                 path, mdb_strerror(rc));
        mdb_env_close(st->env);
        st->env = NULL;
        return rc;
    }

    /*
     * LMDB opens with the size it is given; the store's meta page keeps
     * the largest any process committed with.  Both processes take the
     * larger of that and their own, so nginx and campaignd agree on the
     * limit.  A process whose own is larger grows the map now and writes
     * in the same txn, because LMDB records a size only in a commit that
     * changes something: the other process then finds it in the meta
     * page at its next MDB_MAP_FULL or MDB_MAP_RESIZED.  Nobody shrinks.
     */
    grown = 0;

    if (mdb_env_set_mapsize(st->env, 0) == 0
        && mdb_env_info(st->env, &info) == 0
        && info.me_mapsize < max_bytes
        && mdb_env_set_mapsize(st->env, max_bytes) == 0)
    {
        grown = max_bytes;
    }

    /* before any other thread sees the store: none races for it */
    rc = cmp_counter_cache_create(st);
    if (rc != 0) {
        snprintf(err, err_len, "out of memory");
        mdb_env_close(st->env);
        st->env = NULL;
        return rc;
    }

    rc = cmp_store_init_dbs(st, grown, err, err_len);
    if (rc != 0) {
        cmp_store_close(st);
        return rc;
    }

    return 0;
}


static int
cmp_store_init_dbs(cmp_store_t *st, size_t grown, char *err, size_t err_len)
{
    int       rc, i;
    MDB_txn  *txn;
    uint64_t  version;

    rc = cmp_store_txn_begin(st, NULL, 0, &txn);
    if (rc != 0) {
        snprintf(err, err_len, "mdb_txn_begin() failed: %s",
                 mdb_strerror(rc));
        return rc;
    }

    for (i = 0; i < CMP_DB_COUNT; i++) {
        rc = mdb_dbi_open(txn, cmp_db_defs[i].name,
                          cmp_db_defs[i].flags | MDB_CREATE, &st->dbi[i]);
        if (rc != 0) {
            snprintf(err, err_len, "mdb_dbi_open(\"%s\") failed: %s",
                     cmp_db_defs[i].name, mdb_strerror(rc));
            mdb_txn_abort(txn);
            return rc;
        }
    }

    rc = cmp_meta_get_u64(st, txn, CMP_META_SCHEMA, &version);

    if (rc == MDB_NOTFOUND) {
        rc = cmp_meta_put_u64(st, txn, CMP_META_SCHEMA, CMP_SCHEMA_VERSION);
        version = CMP_SCHEMA_VERSION;

        /* a new store has no message the status index could lack */
        if (rc == 0) {
            rc = cmp_meta_put_u64(st, txn, CMP_META_MESSAGE_STATUS, 1);
        }

        if (rc == 0) {
            rc = cmp_meta_put_u64(st, txn, CMP_META_CHANNEL_INDEX, 1);
        }
    }

    /*
     * Version 1 lacks the tombstones, the channels' change log and the
     * messages' status index: the first two start empty (campaignd reads
     * every channel once at its start anyway), the index is built by
     * campaignd a chunk at a time (cmp_message_status_build()).  The new
     * number keeps a build that would not keep them off the store.
     */
    if (rc == 0 && version == 1) {
        rc = cmp_meta_put_u64(st, txn, CMP_META_SCHEMA, CMP_SCHEMA_VERSION);
        version = CMP_SCHEMA_VERSION;
    }

    if (rc != 0) {
        snprintf(err, err_len, "reading the schema version failed: %s",
                 mdb_strerror(rc));
        mdb_txn_abort(txn);
        return rc;
    }

    if (version != CMP_SCHEMA_VERSION) {
        snprintf(err, err_len, "store has schema version %llu, this build "
                 "reads version %d; upgrade or point to another store",
                 (unsigned long long) version, CMP_SCHEMA_VERSION);
        mdb_txn_abort(txn);
        return MDB_INCOMPATIBLE;
    }

    if (grown != 0) {
        rc = cmp_meta_put_u64(st, txn, CMP_META_MAP_SIZE, grown);

        if (rc != 0) {
            snprintf(err, err_len, "recording the map size failed: %s",
                     mdb_strerror(rc));
            mdb_txn_abort(txn);
            return rc;
        }
    }

    rc = mdb_txn_commit(txn);
    if (rc != 0) {
        snprintf(err, err_len, "mdb_txn_commit() failed: %s",
                 mdb_strerror(rc));
    }

    return rc;
}


void
cmp_store_close(cmp_store_t *st)
{
    if (st->env != NULL) {
        mdb_env_close(st->env);
        st->env = NULL;
    }

    cmp_counter_cache_free(st);
}


/*
 * Another process may have grown the map (a larger max_size in campaignd);
 * adopting its size is the documented answer to MDB_MAP_RESIZED.  It
 * remaps, which is safe only with no other txn of this process open:
 * with adopt_later the caller does it, at a moment it knows is safe.
 */
int
cmp_store_txn_begin(cmp_store_t *st, MDB_txn *parent, unsigned flags,
    MDB_txn **txn)
{
    int  rc;

    /* a parent cannot be written while its child is open */
    if (parent != NULL) {
        rc = cmp_counter_flush(st, parent);
        if (rc != 0) {
            return rc;
        }
    }

    rc = mdb_txn_begin(st->env, parent, flags, txn);

    if (rc == MDB_MAP_RESIZED) {
        if (st->adopt_later) {
            st->resized = 1;
            return rc;
        }

        rc = mdb_env_set_mapsize(st->env, 0);
        if (rc == 0) {
            rc = mdb_txn_begin(st->env, parent, flags, txn);
        }
    }

    /* every process logs it at crit: the environment is at fault */
    if (rc != 0 && st->fail != NULL) {
        st->fail(st->fail_data, "mdb_txn_begin()", rc);
    }

    return rc;
}


int
cmp_store_txn_renew(cmp_store_t *st, MDB_txn *txn)
{
    int  rc;

    rc = mdb_txn_renew(txn);

    if (rc == MDB_MAP_RESIZED) {
        if (st->adopt_later) {
            st->resized = 1;
            return rc;
        }

        rc = mdb_env_set_mapsize(st->env, 0);
        if (rc == 0) {
            rc = mdb_txn_renew(txn);
        }
    }

    /* every process logs it at crit: the environment is at fault */
    if (rc != 0 && st->fail != NULL) {
        st->fail(st->fail_data, "mdb_txn_renew()", rc);
    }

    return rc;
}


void
cmp_store_usage(cmp_store_t *st, size_t *used, size_t *max)
{
    MDB_stat     ms;
    MDB_envinfo  info;

    if (mdb_env_info(st->env, &info) != 0 || mdb_env_stat(st->env, &ms) != 0)
    {
        *used = 0;
        *max = st->max_bytes;
        return;
    }

    *used = (info.me_last_pgno + 1) * (size_t) ms.ms_psize;
    *max = info.me_mapsize;
}


/*
 * A key that sorts after every other one is appended: LMDB skips the
 * search and fills the last page instead of splitting it in half, so a
 * bulk import writes fewer pages.  Any other key is put as usual; with
 * MDB_NOOVERWRITE, MDB_KEYEXIST still means only that the key exists.
 */
int
cmp_put_append(cmp_store_t *st, MDB_txn *txn, cmp_db_e db, MDB_val *key,
    MDB_val *val, unsigned flags)
{
    int  rc;

    rc = mdb_put(txn, st->dbi[db], key, val, flags | MDB_APPEND);

    if (rc == MDB_KEYEXIST) {
        rc = mdb_put(txn, st->dbi[db], key, val, flags);
    }

    return cmp_store_note(mdb_txn_env(txn), rc);
}


/*
 * A full map is noted where LMDB says so (puts, deletes, which copy
 * pages too, and commits), so that the process learns of it whichever
 * caller gave the error up: then cmp_store_adopt() is worth a try.
 */
static int
cmp_store_note(MDB_env *env, int rc)
{
    cmp_store_t  *st;

    if (rc == MDB_MAP_FULL) {
        st = mdb_env_get_userctx(env);

        if (st != NULL) {
            st->full = 1;
        }
    }

    return rc;
}


void
cmp_txn_abort(MDB_txn *txn)
{
    cmp_store_t  *st;

    st = mdb_env_get_userctx(mdb_txn_env(txn));

    if (st != NULL) {
        cmp_counter_forget(st, txn);
    }

    mdb_txn_abort(txn);
}


int
cmp_txn_commit(MDB_txn *txn)
{
    int           rc;
    MDB_env      *env;
    cmp_store_t  *st;

    /* mdb_txn_commit() frees txn, failed or not */
    env = mdb_txn_env(txn);
    st = mdb_env_get_userctx(env);

    rc = (st != NULL) ? cmp_counter_flush(st, txn) : 0;

    if (rc != 0) {
        mdb_txn_abort(txn);
        return cmp_store_note(env, rc);
    }

    rc = cmp_store_note(env, mdb_txn_commit(txn));

    if (rc == 0 && st != NULL && !st->adopt_later) {
        st->commits++;
    }

    return rc;
}


/* a read txn kept for cmp_store_txn_renew() */
void
cmp_txn_reset(MDB_txn *txn)
{
    mdb_txn_reset(txn);
}


/* the text of a code the store returned: its own, or an errno */
const char *
cmp_strerror(int rc)
{
    return mdb_strerror(rc);
}


/* reader slots of crashed processes freed; *dead: how many */
int
cmp_store_reader_check(cmp_store_t *st, int *dead)
{
    return mdb_reader_check(st->env, dead);
}


/*
 * The map at least want bytes, or as large as the store records if that
 * is larger (another process gave a larger max_size); *size: what it is.
 */
int
cmp_store_map_size(cmp_store_t *st, size_t want, size_t *size)
{
    int          rc;
    MDB_envinfo  info;

    rc = mdb_env_set_mapsize(st->env, 0);

    if (rc == 0) {
        rc = mdb_env_info(st->env, &info);
    }

    if (rc == 0 && info.me_mapsize < want) {
        rc = mdb_env_set_mapsize(st->env, want);
        info.me_mapsize = want;
    }

    if (rc == 0) {
        *size = info.me_mapsize;
    }

    return rc;
}


/*
 * Another process may have grown the map without our txns hearing of it:
 * MDB_MAP_RESIZED comes only once its data passes our map, and a commit
 * that finds our own map full learns nothing.  The meta page has the
 * largest size any process committed with; this takes it if it is larger
 * than ours (*grown: the new size, else 0).  It remaps, so no txn of this
 * process may be open, in any thread.
 */
int
cmp_store_adopt(cmp_store_t *st, size_t *grown)
{
    int          rc;
    size_t       size;
    MDB_envinfo  info;

    *grown = 0;
    st->full = 0;
    st->resized = 0;

    rc = mdb_env_info(st->env, &info);

    if (rc == 0) {
        rc = cmp_store_map_size(st, info.me_mapsize, &size);
    }

    if (rc == 0 && size > info.me_mapsize) {
        *grown = size;
    }

    return rc;
}


int
cmp_db_get(cmp_store_t *st, MDB_txn *txn, cmp_db_e db, MDB_val *key,
    MDB_val *val)
{
    return mdb_get(txn, st->dbi[db], key, val);
}


int
cmp_db_put(cmp_store_t *st, MDB_txn *txn, cmp_db_e db, MDB_val *key,
    MDB_val *val, unsigned flags)
{
    return cmp_store_note(st->env, mdb_put(txn, st->dbi[db], key, val,
                                           flags));
}


int
cmp_db_del(cmp_store_t *st, MDB_txn *txn, cmp_db_e db, MDB_val *key,
    MDB_val *val)
{
    return cmp_store_note(st->env, mdb_del(txn, st->dbi[db], key, val));
}


int
cmp_cursor_open(cmp_store_t *st, MDB_txn *txn, cmp_db_e db,
    MDB_cursor **cur)
{
    return mdb_cursor_open(txn, st->dbi[db], cur);
}


int
cmp_cursor_get(MDB_cursor *cur, MDB_val *key, MDB_val *val, int op)
{
    return mdb_cursor_get(cur, key, val, (MDB_cursor_op) op);
}


int
cmp_cursor_del(MDB_cursor *cur, unsigned flags)
{
    return cmp_store_note(mdb_txn_env(mdb_cursor_txn(cur)),
                          mdb_cursor_del(cur, flags));
}


void
cmp_cursor_close(MDB_cursor *cur)
{
    mdb_cursor_close(cur);
}


int
cmp_db_fetch(cmp_store_t *st, MDB_txn *txn, cmp_db_e db, const void *key,
    size_t len, const void **val, size_t *val_len)
{
    int      rc;
    MDB_val  k, v;

    k.mv_data = (void *) key;
    k.mv_size = len;

    rc = mdb_get(txn, st->dbi[db], &k, &v);

    if (rc == 0) {
        *val = v.mv_data;
        *val_len = v.mv_size;
    }

    return rc;
}


int
cmp_db_store(cmp_store_t *st, MDB_txn *txn, cmp_db_e db, const void *key,
    size_t len, const void *val, size_t val_len)
{
    MDB_val  k, v;

    k.mv_data = (void *) key;
    k.mv_size = len;
    v.mv_data = (void *) val;
    v.mv_size = val_len;

    return cmp_db_put(st, txn, db, &k, &v, 0);
}


/* the key is gone, whether it was there or not */
int
cmp_db_drop(cmp_store_t *st, MDB_txn *txn, cmp_db_e db, const void *key,
    size_t len)
{
    int      rc;
    MDB_val  k;

    k.mv_data = (void *) key;
    k.mv_size = len;

    rc = cmp_db_del(st, txn, db, &k, NULL);

    return (rc == MDB_NOTFOUND) ? 0 : rc;
}


/* a cursor on the first entry at or after from (NULL: the first of all) */
static int
cmp_db_seek(cmp_store_t *st, MDB_txn *txn, cmp_db_e db, const void *from,
    size_t len, MDB_cursor **cur, MDB_val *k, MDB_val *v)
{
    int  rc;

    rc = mdb_cursor_open(txn, st->dbi[db], cur);
    if (rc != 0) {
        *cur = NULL;
        return rc;
    }

    k->mv_data = (void *) from;
    k->mv_size = len;

    return mdb_cursor_get(*cur, k, v,
                          (from != NULL) ? MDB_SET_RANGE : MDB_FIRST);
}


int
cmp_db_first(cmp_store_t *st, MDB_txn *txn, cmp_db_e db, const void *from,
    size_t len, MDB_val *key, MDB_val *val)
{
    int          rc;
    MDB_cursor  *cur;

    rc = cmp_db_seek(st, txn, db, from, len, &cur, key, val);

    if (cur != NULL) {
        mdb_cursor_close(cur);
    }

    return rc;
}


/* the entries from from on (NULL: all), until visit stops it; 0 then */
int
cmp_db_walk(cmp_store_t *st, MDB_txn *txn, cmp_db_e db, const void *from,
    size_t len, cmp_db_visit_pt visit, void *ctx)
{
    return cmp_db_visit(st, txn, db, from, len, visit, ctx, 0);
}


/*
 * The first entry at or after from (NULL: the first of all), deleted
 * once take has copied what it wants of it and answered 0; take's other
 * answers leave it.  CMP_NOTFOUND: there is no such entry.
 */
int
cmp_db_take(cmp_store_t *st, MDB_txn *txn, cmp_db_e db, const void *from,
    size_t len, cmp_db_visit_pt take, void *ctx)
{
    return cmp_db_visit(st, txn, db, from, len, take, ctx, 1);
}


static int
cmp_db_visit(cmp_store_t *st, MDB_txn *txn, cmp_db_e db, const void *from,
    size_t len, cmp_db_visit_pt visit, void *ctx, int take)
{
    int          rc;
    MDB_val      k, v;
    MDB_cursor  *cur;

    rc = cmp_db_seek(st, txn, db, from, len, &cur, &k, &v);

    if (take) {
        if (rc == 0) {
            rc = visit(ctx, &k, &v);
        }

        if (rc == 0) {
            rc = cmp_cursor_del(cur, 0);
        }

    } else {
        while (rc == 0 && visit(ctx, &k, &v) == 0) {
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        }

        rc = (rc == MDB_NOTFOUND) ? 0 : rc;
    }

    if (cur != NULL) {
        mdb_cursor_close(cur);
    }

    return rc;
}
