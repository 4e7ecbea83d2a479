
/*
 * Group membership both ways (the layout is in cmp_members.h): a pair is
 * written, removed and walked here only, so the two orders cannot part.
 */


#include <string.h>

#include "cmp_members.h"


/* a walk over the pairs that start with one id: a group's, a contact's */
typedef struct {
    const unsigned char   *prefix;
    size_t                 plen;
    const char            *after;         /* NULL: from the first pair */
    size_t                 after_len;
    cmp_member_visit_pt    visit;
    void                  *ctx;
} cmp_member_walk_t;


/* the pair cmp_member_take_all() takes, its other id copied before it goes */
typedef struct {
    const unsigned char   *prefix;
    size_t                 plen;
    char                   other[CMP_ID_MAX];
    size_t                 len;
} cmp_member_entry_t;


static size_t cmp_member_key(unsigned char *buf, const char *a, size_t alen,
    const char *b, size_t blen);
static int cmp_member_walk_one(cmp_store_t *st, cmp_txn_t *txn, cmp_db_e db,
    const char *a, size_t alen, const char *after, size_t after_len,
    cmp_member_visit_pt visit, void *ctx);
static int cmp_member_entry(void *ctx, const cmp_val_t *k,
    const cmp_val_t *v);
static int cmp_member_take_all(cmp_store_t *st, cmp_txn_t *txn, cmp_db_e db,
    cmp_db_e mirror, const char *a, size_t alen, cmp_member_visit_pt visit,
    void *ctx);
static int cmp_member_taken(void *ctx, const cmp_val_t *k,
    const cmp_val_t *v);


/* "a NUL b", in either database; 0: an id longer than any id can be */
static size_t
cmp_member_key(unsigned char *buf, const char *a, size_t alen, const char *b,
    size_t blen)
{
    if (alen > CMP_ID_MAX || blen > CMP_ID_MAX) {
        return 0;
    }

    return cmp_key_join(buf, CMP_MEMBER_KEY_MAX, a, alen, b, blen);
}


/*
 * *added: the pair is new.  An import adds its new contacts in id order,
 * so both keys are appends, mostly (README "Bulk import"); a pair that
 * is there already costs the one put that finds it.
 */
int
cmp_member_add(cmp_store_t *st, cmp_txn_t *txn, const char *gid, size_t glen,
    const char *cid, size_t clen, int *added)
{
    int            rc;
    cmp_val_t      key, val;
    unsigned char  buf[CMP_MEMBER_KEY_MAX];

    *added = 0;

    key.mv_data = buf;
    key.mv_size = cmp_member_key(buf, gid, glen, cid, clen);
    val.mv_data = "";
    val.mv_size = 0;

    if (key.mv_size == 0) {
        return CMP_BAD_VALSIZE;
    }

    rc = cmp_put_append(st, txn, CMP_DB_MEMBERS, &key, &val,
                        CMP_NOOVERWRITE);

    if (rc == CMP_KEYEXIST) {
        return 0;
    }

    if (rc != 0) {
        return rc;
    }

    key.mv_size = cmp_member_key(buf, cid, clen, gid, glen);

    rc = cmp_put_append(st, txn, CMP_DB_MEMBER_OF, &key, &val, 0);
    if (rc != 0) {
        return rc;
    }

    *added = 1;

    return 0;
}


/* *removed: the pair was there */
int
cmp_member_remove(cmp_store_t *st, cmp_txn_t *txn, const char *gid,
    size_t glen, const char *cid, size_t clen, int *removed)
{
    int            rc;
    cmp_val_t      key;
    unsigned char  buf[CMP_MEMBER_KEY_MAX];

    *removed = 0;

    key.mv_data = buf;
    key.mv_size = cmp_member_key(buf, gid, glen, cid, clen);

    if (key.mv_size == 0) {
        return 0;
    }

    rc = cmp_db_del(st, txn, CMP_DB_MEMBERS, &key, NULL);

    if (rc == CMP_NOTFOUND) {
        return 0;
    }

    if (rc != 0) {
        return rc;
    }

    key.mv_size = cmp_member_key(buf, cid, clen, gid, glen);

    rc = cmp_db_drop(st, txn, CMP_DB_MEMBER_OF, buf, key.mv_size);
    if (rc != 0) {
        return rc;
    }

    *removed = 1;

    return 0;
}


/* 0: the contact is in the group; CMP_NOTFOUND: it is not */
int
cmp_member_is(cmp_store_t *st, cmp_txn_t *txn, const char *gid, size_t glen,
    const char *cid, size_t clen)
{
    size_t         n, vlen;
    const void    *v;
    unsigned char  buf[CMP_MEMBER_KEY_MAX];

    n = cmp_member_key(buf, gid, glen, cid, clen);

    return (n == 0) ? CMP_NOTFOUND
                    : cmp_db_fetch(st, txn, CMP_DB_MEMBERS, buf, n, &v,
                                   &vlen);
}


/*
 * A group's members in contact id order, from the first one after the
 * contact id "after" on (NULL: from the first): a chunk ends where visit
 * says other than 0, and the next one starts after the last id it took,
 * whether that contact is still a member or not (README "Scheduling and
 * dispatch (campaignd)": a run's fill, a page of GET /groups/{id}/members).
 */
int
cmp_members_walk(cmp_store_t *st, cmp_txn_t *txn, const char *gid,
    size_t glen, const char *after, size_t after_len,
    cmp_member_visit_pt visit, void *ctx)
{
    return cmp_member_walk_one(st, txn, CMP_DB_MEMBERS, gid, glen, after,
                               after_len, visit, ctx);
}


/* the groups a contact is in, in group id order */
int
cmp_member_of_walk(cmp_store_t *st, cmp_txn_t *txn, const char *cid,
    size_t clen, cmp_member_visit_pt visit, void *ctx)
{
    return cmp_member_walk_one(st, txn, CMP_DB_MEMBER_OF, cid, clen, NULL, 0,
                               visit, ctx);
}


static int
cmp_member_walk_one(cmp_store_t *st, cmp_txn_t *txn, cmp_db_e db,
    const char *a, size_t alen, const char *after, size_t after_len,
    cmp_member_visit_pt visit, void *ctx)
{
    size_t             n;
    unsigned char      from[CMP_MEMBER_KEY_MAX];
    cmp_member_walk_t  w;

    n = cmp_member_key(from, a, alen, (after != NULL) ? after : "",
                       (after != NULL) ? after_len : 0);
    if (n == 0) {
        return CMP_BAD_VALSIZE;
    }

    w.prefix = from;
    w.plen = alen + 1;
    w.after = after;
    w.after_len = after_len;
    w.visit = visit;
    w.ctx = ctx;

    return cmp_db_walk(st, txn, db, from, n, cmp_member_entry, &w);
}


/* a cmp_db_visit_pt: a pair of the walk's id, the position itself passed */
static int
cmp_member_entry(void *ctx, const cmp_val_t *k, const cmp_val_t *v)
{
    cmp_member_walk_t *w = ctx;

    (void) v;

    if (k->mv_size <= w->plen || memcmp(k->mv_data, w->prefix, w->plen) != 0)
    {
        return 1;
    }

    if (w->after != NULL && k->mv_size == w->plen + w->after_len
        && memcmp((char *) k->mv_data + w->plen, w->after, w->after_len) == 0)
    {
        return 0;
    }

    return w->visit(w->ctx, (char *) k->mv_data + w->plen,
                    k->mv_size - w->plen);
}


/*
 * A contact leaves every group it is in: each pair is gone both ways
 * before visit hears of the group, so visit may write the txn (a group's
 * count).  visit's code other than 0 ends it and is returned.
 */
int
cmp_member_of_take(cmp_store_t *st, cmp_txn_t *txn, const char *cid,
    size_t clen, cmp_member_visit_pt visit, void *ctx)
{
    return cmp_member_take_all(st, txn, CMP_DB_MEMBER_OF, CMP_DB_MEMBERS,
                               cid, clen, visit, ctx);
}


/* every take seeks the first pair again: what the last one deleted moved */
static int
cmp_member_take_all(cmp_store_t *st, cmp_txn_t *txn, cmp_db_e db,
    cmp_db_e mirror, const char *a, size_t alen, cmp_member_visit_pt visit,
    void *ctx)
{
    int                 rc;
    size_t              n;
    unsigned char       prefix[CMP_MEMBER_KEY_MAX], back[CMP_MEMBER_KEY_MAX];
    cmp_member_entry_t  e;

    e.prefix = prefix;
    e.plen = cmp_member_key(prefix, a, alen, "", 0);

    if (e.plen == 0) {
        return CMP_BAD_VALSIZE;
    }

    for ( ;; ) {
        rc = cmp_db_take(st, txn, db, prefix, e.plen, cmp_member_taken, &e);
        if (rc != 0) {
            return (rc == CMP_NOTFOUND) ? 0 : rc;
        }

        n = cmp_member_key(back, e.other, e.len, a, alen);

        rc = cmp_db_drop(st, txn, mirror, back, n);
        if (rc != 0) {
            return rc;
        }

        if (visit != NULL) {
            rc = visit(ctx, e.other, e.len);
            if (rc != 0) {
                return rc;
            }
        }
    }
}


/* a cmp_db_visit_pt: the first pair of the id, its other id copied */
static int
cmp_member_taken(void *ctx, const cmp_val_t *k, const cmp_val_t *v)
{
    cmp_member_entry_t *e = ctx;

    (void) v;

    if (k->mv_size <= e->plen || memcmp(k->mv_data, e->prefix, e->plen) != 0)
    {
        return CMP_NOTFOUND;
    }

    e->len = k->mv_size - e->plen;

    if (e->len > CMP_ID_MAX) {
        /* cmp_member_add() writes no such pair */
        return CMP_CORRUPTED;
    }

    memcpy(e->other, (char *) k->mv_data + e->plen, e->len);

    return 0;
}
