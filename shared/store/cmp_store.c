
/*
 * The store's one implementation: opening the environment, the schema check,
 * and the key layouts of records, orders, references, indexes and secrets.
 */


#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cmp_store.h"


#define CMP_META_SCHEMA   "schema_version"


typedef struct {
    const char  *name;
    unsigned     flags;
} cmp_db_def_t;


static int cmp_store_init_dbs(cmp_store_t *st, char *err, size_t err_len);
static int cmp_record_write_flags(cmp_store_t *st, MDB_txn *txn,
    cmp_db_e db, const void *k, size_t k_len, const cmp_record_t *rec,
    unsigned flags);
static size_t cmp_id_format(char *buf, const char *prefix, uint64_t v);
static size_t cmp_composite_key(char *buf, size_t size, const char *a,
    const char *b, size_t b_len);


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
    { "counters", 0 },
    { "inbox", 0 },
};


const cmp_kind_t  cmp_kind_channels = {
    "channels", "channel", "ch_", CMP_DB_CHANNELS, CMP_DB_CHANNELS_ORDER
};

const cmp_kind_t  cmp_kind_contacts = {
    "contacts", "contact", "ct_", CMP_DB_CONTACTS, CMP_DB_CONTACTS_ORDER
};

const cmp_kind_t  cmp_kind_groups = {
    "groups", "group", "gr_", CMP_DB_GROUPS, CMP_DB_GROUPS_ORDER
};

const cmp_kind_t  cmp_kind_flows = {
    "flows", "flow", "fl_", CMP_DB_FLOWS, CMP_DB_FLOWS_ORDER
};

const cmp_kind_t  cmp_kind_campaigns = {
    "campaigns", "campaign", "cp_", CMP_DB_CAMPAIGNS, CMP_DB_CAMPAIGNS_ORDER
};


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


int
cmp_store_open(cmp_store_t *st, const char *path, size_t max_bytes,
    unsigned readers, char *err, size_t err_len)
{
    int          rc;
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
     * LMDB opens with the size it is given; the store remembers the
     * largest any process used.  Both processes take the larger of that
     * and their own, so nginx and campaignd agree on the limit.
     */
    if (mdb_env_set_mapsize(st->env, 0) == 0
        && mdb_env_info(st->env, &info) == 0
        && info.me_mapsize < max_bytes)
    {
        (void) mdb_env_set_mapsize(st->env, max_bytes);
    }

    rc = cmp_store_init_dbs(st, err, err_len);
    if (rc != 0) {
        mdb_env_close(st->env);
        st->env = NULL;
        return rc;
    }

    return 0;
}


static int
cmp_store_init_dbs(cmp_store_t *st, char *err, size_t err_len)
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
}


/*
 * Another process may have grown the map (a larger max_size in campaignd);
 * adopting its size is the documented answer to MDB_MAP_RESIZED.
 */
int
cmp_store_txn_begin(cmp_store_t *st, MDB_txn *parent, unsigned flags,
    MDB_txn **txn)
{
    int  rc;

    rc = mdb_txn_begin(st->env, parent, flags, txn);

    if (rc == MDB_MAP_RESIZED) {
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


int
cmp_record_get(cmp_store_t *st, MDB_txn *txn, const cmp_kind_t *kind,
    const char *id, size_t id_len, cmp_record_t *rec)
{
    return cmp_record_read(st, txn, kind->records, id, id_len, rec);
}


/*
 * The record layout, in any database that holds records: be64 creation
 * sequence, be64 version, then the JSON.  One reader, one writer.
 */
int
cmp_record_read(cmp_store_t *st, MDB_txn *txn, cmp_db_e db, const void *k,
    size_t k_len, cmp_record_t *rec)
{
    int      rc;
    MDB_val  key, val;

    key.mv_data = (void *) k;
    key.mv_size = k_len;

    rc = mdb_get(txn, st->dbi[db], &key, &val);
    if (rc != 0) {
        return rc;
    }

    if (val.mv_size < CMP_RECORD_HEADER) {
        return MDB_CORRUPTED;
    }

    rec->seq = cmp_be64_get(val.mv_data);
    rec->version = cmp_be64_get((unsigned char *) val.mv_data + 8);
    rec->json = (const char *) val.mv_data + CMP_RECORD_HEADER;
    rec->len = val.mv_size - CMP_RECORD_HEADER;

    return 0;
}


int
cmp_record_write(cmp_store_t *st, MDB_txn *txn, cmp_db_e db, const void *k,
    size_t k_len, const cmp_record_t *rec)
{
    return cmp_record_write_flags(st, txn, db, k, k_len, rec, 0);
}


static int
cmp_record_write_flags(cmp_store_t *st, MDB_txn *txn, cmp_db_e db,
    const void *k, size_t k_len, const cmp_record_t *rec, unsigned flags)
{
    int      rc;
    MDB_val  key, val;

    key.mv_data = (void *) k;
    key.mv_size = k_len;
    val.mv_size = CMP_RECORD_HEADER + rec->len;

    if (flags & MDB_APPEND) {
        rc = cmp_put_append(st, txn, db, &key, &val, MDB_RESERVE);

    } else {
        rc = mdb_put(txn, st->dbi[db], &key, &val, MDB_RESERVE | flags);
    }

    if (rc != 0) {
        return rc;
    }

    cmp_be64_put(val.mv_data, rec->seq);
    cmp_be64_put((unsigned char *) val.mv_data + 8, rec->version);
    memcpy((char *) val.mv_data + CMP_RECORD_HEADER, rec->json, rec->len);

    return 0;
}


/*
 * The order entry is written only once, with the record's first version;
 * updates keep the creation sequence and so the record's place in lists.
 * A first version is appended: generated ids and sequences grow.
 */
int
cmp_record_put(cmp_store_t *st, MDB_txn *txn, const cmp_kind_t *kind,
    const char *id, size_t id_len, const cmp_record_t *rec)
{
    int            rc;
    MDB_val        key, val;
    unsigned char  seq[8];

    if (rec->version != 1) {
        return cmp_record_write(st, txn, kind->records, id, id_len, rec);
    }

    rc = cmp_record_write_flags(st, txn, kind->records, id, id_len, rec,
                                MDB_APPEND);
    if (rc != 0) {
        return rc;
    }

    cmp_be64_put(seq, rec->seq);
    key.mv_data = seq;
    key.mv_size = 8;
    val.mv_data = (void *) id;
    val.mv_size = id_len;

    return cmp_put_append(st, txn, kind->order, &key, &val, 0);
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

    return rc;
}


int
cmp_record_del(cmp_store_t *st, MDB_txn *txn, const cmp_kind_t *kind,
    const char *id, size_t id_len)
{
    int            rc;
    MDB_val        key;
    cmp_record_t   rec;
    unsigned char  seq[8];

    rc = cmp_record_get(st, txn, kind, id, id_len, &rec);
    if (rc != 0) {
        return rc;
    }

    cmp_be64_put(seq, rec.seq);
    key.mv_data = seq;
    key.mv_size = 8;

    rc = mdb_del(txn, st->dbi[kind->order], &key, NULL);
    if (rc != 0 && rc != MDB_NOTFOUND) {
        return rc;
    }

    key.mv_data = (void *) id;
    key.mv_size = id_len;

    return mdb_del(txn, st->dbi[kind->records], &key, NULL);
}


/*
 * Walks records newest first, starting below before_seq (0: from the
 * newest); the visitor returns nonzero to stop.
 */
int
cmp_record_list(cmp_store_t *st, MDB_txn *txn, const cmp_kind_t *kind,
    uint64_t before_seq, cmp_record_visit_pt visit, void *ctx)
{
    int            rc;
    MDB_val        key, val;
    MDB_cursor    *cur;
    cmp_record_t   rec;
    unsigned char  seq[8];

    rc = mdb_cursor_open(txn, st->dbi[kind->order], &cur);
    if (rc != 0) {
        return rc;
    }

    if (before_seq == 0) {
        rc = mdb_cursor_get(cur, &key, &val, MDB_LAST);

    } else {
        cmp_be64_put(seq, before_seq);
        key.mv_data = seq;
        key.mv_size = 8;

        rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);

        if (rc == MDB_NOTFOUND) {
            rc = mdb_cursor_get(cur, &key, &val, MDB_LAST);

        } else if (rc == 0) {
            rc = mdb_cursor_get(cur, &key, &val, MDB_PREV);
        }

        while (rc == 0 && cmp_be64_get(key.mv_data) >= before_seq) {
            rc = mdb_cursor_get(cur, &key, &val, MDB_PREV);
        }
    }

    while (rc == 0) {
        if (cmp_record_get(st, txn, kind, val.mv_data, val.mv_size, &rec)
            == 0)
        {
            if (visit(ctx, val.mv_data, val.mv_size, &rec) != 0) {
                break;
            }
        }

        rc = mdb_cursor_get(cur, &key, &val, MDB_PREV);
    }

    mdb_cursor_close(cur);

    return (rc == MDB_NOTFOUND) ? 0 : rc;
}


int
cmp_meta_get_u64(cmp_store_t *st, MDB_txn *txn, const char *name,
    uint64_t *value)
{
    int      rc;
    MDB_val  key, val;

    key.mv_data = (void *) name;
    key.mv_size = strlen(name);

    rc = mdb_get(txn, st->dbi[CMP_DB_META], &key, &val);
    if (rc != 0) {
        return rc;
    }

    if (val.mv_size != 8) {
        return MDB_CORRUPTED;
    }

    *value = cmp_be64_get(val.mv_data);

    return 0;
}


int
cmp_meta_put_u64(cmp_store_t *st, MDB_txn *txn, const char *name,
    uint64_t value)
{
    MDB_val        key, val;
    unsigned char  buf[8];

    cmp_be64_put(buf, value);

    key.mv_data = (void *) name;
    key.mv_size = strlen(name);
    val.mv_data = buf;
    val.mv_size = 8;

    return mdb_put(txn, st->dbi[CMP_DB_META], &key, &val, 0);
}


int
cmp_seq_next(cmp_store_t *st, MDB_txn *txn, const char *name,
    uint64_t *value)
{
    int       rc;
    uint64_t  v;

    rc = cmp_meta_get_u64(st, txn, name, &v);

    if (rc == MDB_NOTFOUND) {
        v = 0;

    } else if (rc != 0) {
        return rc;
    }

    v++;

    rc = cmp_meta_put_u64(st, txn, name, v);
    if (rc != 0) {
        return rc;
    }

    *value = v;

    return 0;
}


/*
 * Generated ids come from a sequence that never goes back, so they are
 * never reused; one already taken by a client-chosen id is skipped.
 */
int
cmp_id_generate(cmp_store_t *st, MDB_txn *txn, const cmp_kind_t *kind,
    char *buf, size_t *len)
{
    int        rc;
    cmp_seq_t  seq;

    cmp_seq_init(&seq, "id:", kind);

    rc = cmp_id_take(st, txn, kind, &seq, buf, len);

    if (rc == 0) {
        rc = cmp_seq_save(st, txn, &seq);
    }

    return rc;
}


/* use: "id:" or "order:", before the kind's name, as meta names them */
void
cmp_seq_init(cmp_seq_t *seq, const char *use, const cmp_kind_t *kind)
{
    size_t  n, k;

    memset(seq, 0, sizeof(cmp_seq_t));

    n = strlen(use);
    k = strlen(kind->name);

    /* kind names are short constants: "campaigns" is the longest */
    if (n + k >= sizeof(seq->name)) {
        k = sizeof(seq->name) - 1 - n;
    }

    memcpy(seq->name, use, n);
    memcpy(seq->name + n, kind->name, k);
    seq->name[n + k] = '\0';
}


/* the next value, as cmp_seq_next() gives it, but counted in memory */
int
cmp_seq_take(cmp_store_t *st, MDB_txn *txn, cmp_seq_t *seq,
    uint64_t *value)
{
    int  rc;

    if (!seq->loaded) {
        rc = cmp_meta_get_u64(st, txn, seq->name, &seq->value);

        if (rc == MDB_NOTFOUND) {
            seq->value = 0;

        } else if (rc != 0) {
            return rc;
        }

        seq->loaded = 1;
    }

    seq->value++;
    seq->taken = 1;
    *value = seq->value;

    return 0;
}


int
cmp_seq_save(cmp_store_t *st, MDB_txn *txn, cmp_seq_t *seq)
{
    int  rc;

    if (!seq->taken) {
        return 0;
    }

    rc = cmp_meta_put_u64(st, txn, seq->name, seq->value);

    if (rc == 0) {
        seq->taken = 0;
    }

    return rc;
}


/* the next free generated id; seq must be saved before the commit */
int
cmp_id_take(cmp_store_t *st, MDB_txn *txn, const cmp_kind_t *kind,
    cmp_seq_t *seq, char *buf, size_t *len)
{
    int           rc;
    uint64_t      v;
    cmp_record_t  rec;

    for ( ;; ) {
        rc = cmp_seq_take(st, txn, seq, &v);
        if (rc != 0) {
            return rc;
        }

        *len = cmp_id_format(buf, kind->id_prefix, v);

        rc = cmp_record_get(st, txn, kind, buf, *len, &rec);
        if (rc == MDB_NOTFOUND) {
            return 0;
        }

        if (rc != 0) {
            return rc;
        }
    }
}


/* prefix and at least 8 lowercase hex digits: ch_0000002a */
static size_t
cmp_id_format(char *buf, const char *prefix, uint64_t v)
{
    int            i, digits;
    size_t         n;
    static const char  hex[] = "0123456789abcdef";

    n = strlen(prefix);
    memcpy(buf, prefix, n);

    for (digits = 8; digits < 16 && (v >> (digits * 4)) != 0; digits++) {
        /* void */
    }

    for (i = digits - 1; i >= 0; i--) {
        buf[n++] = hex[(v >> (i * 4)) & 0xf];
    }

    buf[n] = '\0';

    return n;
}


/* "<a>\0<b>": NUL cannot occur in a kind name, so keys never collide */
static size_t
cmp_composite_key(char *buf, size_t size, const char *a, const char *b,
    size_t b_len)
{
    size_t  a_len;

    a_len = strlen(a);

    if (a_len + 1 + b_len > size) {
        return 0;
    }

    memcpy(buf, a, a_len);
    buf[a_len] = '\0';
    memcpy(buf + a_len + 1, b, b_len);

    return a_len + 1 + b_len;
}


int
cmp_ref_add(cmp_store_t *st, MDB_txn *txn, const char *kind, const char *id,
    size_t id_len, int64_t delta)
{
    int            rc;
    char           buf[512];
    MDB_val        key, val;
    uint64_t       count;
    unsigned char  num[8];

    key.mv_data = buf;
    key.mv_size = cmp_composite_key(buf, sizeof(buf), kind, id, id_len);
    if (key.mv_size == 0) {
        return MDB_BAD_VALSIZE;
    }

    rc = mdb_get(txn, st->dbi[CMP_DB_REFS], &key, &val);

    if (rc == MDB_NOTFOUND) {
        count = 0;

    } else if (rc != 0) {
        return rc;

    } else {
        count = cmp_be64_get(val.mv_data);
    }

    if (delta < 0 && (uint64_t) -delta > count) {
        count = 0;

    } else {
        count += delta;
    }

    if (count == 0) {
        rc = mdb_del(txn, st->dbi[CMP_DB_REFS], &key, NULL);
        return (rc == MDB_NOTFOUND) ? 0 : rc;
    }

    cmp_be64_put(num, count);
    val.mv_data = num;
    val.mv_size = 8;

    return mdb_put(txn, st->dbi[CMP_DB_REFS], &key, &val, 0);
}


int
cmp_ref_count(cmp_store_t *st, MDB_txn *txn, const char *kind,
    const char *id, size_t id_len, uint64_t *count)
{
    int      rc;
    char     buf[512];
    MDB_val  key, val;

    key.mv_data = buf;
    key.mv_size = cmp_composite_key(buf, sizeof(buf), kind, id, id_len);
    if (key.mv_size == 0) {
        return MDB_BAD_VALSIZE;
    }

    rc = mdb_get(txn, st->dbi[CMP_DB_REFS], &key, &val);

    if (rc == MDB_NOTFOUND) {
        *count = 0;
        return 0;
    }

    if (rc != 0) {
        return rc;
    }

    *count = cmp_be64_get(val.mv_data);

    return 0;
}


int
cmp_index_get(cmp_store_t *st, MDB_txn *txn, const char *index,
    const char *k, size_t k_len, char *id, size_t *id_len)
{
    int      rc;
    char     buf[512];
    MDB_val  key, val;

    key.mv_data = buf;
    key.mv_size = cmp_composite_key(buf, sizeof(buf), index, k, k_len);
    if (key.mv_size == 0) {
        return MDB_NOTFOUND;
    }

    rc = mdb_get(txn, st->dbi[CMP_DB_INDEX], &key, &val);
    if (rc != 0) {
        return rc;
    }

    if (val.mv_size > CMP_ID_MAX) {
        return MDB_CORRUPTED;
    }

    memcpy(id, val.mv_data, val.mv_size);
    id[val.mv_size] = '\0';
    *id_len = val.mv_size;

    return 0;
}


int
cmp_index_put(cmp_store_t *st, MDB_txn *txn, const char *index,
    const char *k, size_t k_len, const char *id, size_t id_len)
{
    char     buf[512];
    MDB_val  key, val;

    key.mv_data = buf;
    key.mv_size = cmp_composite_key(buf, sizeof(buf), index, k, k_len);

    /* cmp_index_get() reads ids into CMP_ID_MAX bytes: refuse more here */
    if (key.mv_size == 0 || id_len > CMP_ID_MAX) {
        return MDB_BAD_VALSIZE;
    }

    val.mv_data = (void *) id;
    val.mv_size = id_len;

    return mdb_put(txn, st->dbi[CMP_DB_INDEX], &key, &val, 0);
}


int
cmp_index_del(cmp_store_t *st, MDB_txn *txn, const char *index,
    const char *k, size_t k_len)
{
    int      rc;
    char     buf[512];
    MDB_val  key;

    key.mv_data = buf;
    key.mv_size = cmp_composite_key(buf, sizeof(buf), index, k, k_len);
    if (key.mv_size == 0) {
        return 0;
    }

    rc = mdb_del(txn, st->dbi[CMP_DB_INDEX], &key, NULL);

    return (rc == MDB_NOTFOUND) ? 0 : rc;
}


int
cmp_secret_get(cmp_store_t *st, MDB_txn *txn, const char *id, size_t id_len,
    const char **json, size_t *len)
{
    int      rc;
    MDB_val  key, val;

    key.mv_data = (void *) id;
    key.mv_size = id_len;

    rc = mdb_get(txn, st->dbi[CMP_DB_SECRETS], &key, &val);
    if (rc != 0) {
        return rc;
    }

    *json = val.mv_data;
    *len = val.mv_size;

    return 0;
}


int
cmp_secret_put(cmp_store_t *st, MDB_txn *txn, const char *id, size_t id_len,
    const char *json, size_t len)
{
    MDB_val  key, val;

    key.mv_data = (void *) id;
    key.mv_size = id_len;
    val.mv_data = (void *) json;
    val.mv_size = len;

    return mdb_put(txn, st->dbi[CMP_DB_SECRETS], &key, &val, 0);
}


int
cmp_secret_del(cmp_store_t *st, MDB_txn *txn, const char *id, size_t id_len)
{
    int      rc;
    MDB_val  key;

    key.mv_data = (void *) id;
    key.mv_size = id_len;

    rc = mdb_del(txn, st->dbi[CMP_DB_SECRETS], &key, NULL);

    return (rc == MDB_NOTFOUND) ? 0 : rc;
}


/* value: be64 expiry (unix seconds), then the id the first request made */
int
cmp_idempotency_get(cmp_store_t *st, MDB_txn *txn, const char *scope,
    const char *k, size_t k_len, int64_t now, char *id, size_t *id_len)
{
    int      rc;
    char     buf[512];
    MDB_val  key, val;

    key.mv_data = buf;
    key.mv_size = cmp_composite_key(buf, sizeof(buf), scope, k, k_len);
    if (key.mv_size == 0) {
        return MDB_NOTFOUND;
    }

    rc = mdb_get(txn, st->dbi[CMP_DB_IDEMPOTENCY], &key, &val);
    if (rc != 0) {
        return rc;
    }

    if (val.mv_size < 8 || val.mv_size - 8 > CMP_ID_MAX) {
        return MDB_CORRUPTED;
    }

    if ((int64_t) cmp_be64_get(val.mv_data) < now) {
        return MDB_NOTFOUND;
    }

    *id_len = val.mv_size - 8;
    memcpy(id, (char *) val.mv_data + 8, *id_len);
    id[*id_len] = '\0';

    return 0;
}


int
cmp_idempotency_put(cmp_store_t *st, MDB_txn *txn, const char *scope,
    const char *k, size_t k_len, int64_t expires, const char *id,
    size_t id_len)
{
    char           buf[512];
    MDB_val        key, val;
    unsigned char  v[8 + CMP_ID_MAX];

    key.mv_data = buf;
    key.mv_size = cmp_composite_key(buf, sizeof(buf), scope, k, k_len);
    if (key.mv_size == 0 || id_len > CMP_ID_MAX) {
        return MDB_BAD_VALSIZE;
    }

    cmp_be64_put(v, (uint64_t) expires);
    memcpy(v + 8, id, id_len);

    val.mv_data = v;
    val.mv_size = 8 + id_len;

    return mdb_put(txn, st->dbi[CMP_DB_IDEMPOTENCY], &key, &val, 0);
}


/* ------------------------------------------------ what callers call */


void
cmp_txn_abort(MDB_txn *txn)
{
    mdb_txn_abort(txn);
}


int
cmp_txn_commit(MDB_txn *txn)
{
    return mdb_txn_commit(txn);
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
    return mdb_put(txn, st->dbi[db], key, val, flags);
}


int
cmp_db_del(cmp_store_t *st, MDB_txn *txn, cmp_db_e db, MDB_val *key,
    MDB_val *val)
{
    return mdb_del(txn, st->dbi[db], key, val);
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
    return mdb_cursor_del(cur, flags);
}


void
cmp_cursor_close(MDB_cursor *cur)
{
    mdb_cursor_close(cur);
}
