
/*
 * The dispatcher's copy of the channels.  The first walk reads them all,
 * CMP_CHANNEL_CACHE_CHUNK in a read txn, one chunk per loop turn, so that
 * neither the loop nor the store's free pages wait on a long walk; after
 * it, only the channels in the change log since the last look are read.
 * A channel changed during the walk is in the log after the point the walk
 * began at, so it is read again once the walk is over.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_channel_cache.h"
#include "cmp_campaignd.h"
#include "cmp_changes.h"
#include "cmp_secret.h"
#include "cmp_json.h"


#define CMP_CHANNEL_CACHE_CHUNK   1000


static int cmp_channel_cache_walk(cmp_channel_cache_t *cc);
static int cmp_channel_cache_changes(cmp_channel_cache_t *cc);
static int cmp_channel_cache_loaded(void *ctx, const char *id, size_t len,
    const cmp_record_t *rec);
static int cmp_channel_cache_changed(void *ctx, uint64_t seq, const char *id,
    size_t len);
static int cmp_channel_cache_apply(cmp_channel_cache_t *cc, const char *id,
    size_t len, const cmp_record_t *rec);
static void cmp_channel_cache_retire(cmp_channel_cache_t *cc, int ci);
static void cmp_channel_cache_clear(cmp_chan_t *c);
static int cmp_channel_cache_find(cmp_channel_cache_t *cc, const char *id,
    size_t len, size_t *pos);
static int cmp_channel_cache_add(cmp_channel_cache_t *cc, const char *id,
    size_t len);
static int cmp_channel_cache_rehash(cmp_channel_cache_t *cc, size_t size);
static void cmp_channel_cache_unhash(cmp_channel_cache_t *cc, size_t pos);
static size_t cmp_channel_cache_hash(const char *id, size_t len);
static char *cmp_channel_cache_secrets(const cmp_provider_t *pr,
    json_t *secret);


void
cmp_channel_cache_init(cmp_channel_cache_t *cc, cmp_store_t *st,
    cmp_log_t *log)
{
    memset(cc, 0, sizeof(cmp_channel_cache_t));

    cc->st = st;
    cc->log = log;
    cc->free_slot = -1;
}


void
cmp_channel_cache_free(cmp_channel_cache_t *cc)
{
    size_t  i;

    for (i = 0; i < cc->nchans; i++) {
        cmp_channel_cache_clear(&cc->chans[i]);
    }

    free(cc->chans);
    free(cc->hash);

    cc->chans = NULL;
    cc->hash = NULL;
    cc->nchans = 0;
}


/*
 * One read txn's worth of catching up: a chunk of the first walk, or of
 * the change log.  1: there is more to read at once; 0: up to date (or
 * the store failed, and the next tick tries again).
 */
int
cmp_channel_cache_refresh(cmp_channel_cache_t *cc)
{
    int  rc;

    if (cmp_store_txn_begin(cc->st, NULL, CMP_RDONLY, &cc->txn) != 0) {
        return 0;
    }

    rc = cc->loaded ? cmp_channel_cache_changes(cc)
                    : cmp_channel_cache_walk(cc);

    cmp_txn_abort(cc->txn);
    cc->txn = NULL;

    return rc;
}


static int
cmp_channel_cache_walk(cmp_channel_cache_t *cc)
{
    int     rc;
    size_t  i, ok;

    if (!cc->loading) {
        /* what changes from here on is read again after the walk */
        if (cmp_changes_last(cc->st, cc->txn, &cmp_kind_channels, &cc->seen)
            != 0)
        {
            return 0;
        }

        cc->loading = 1;
        cc->load_before = 0;
    }

    cc->chunk = 0;

    rc = cmp_record_list(cc->st, cc->txn, &cmp_kind_channels,
                         cc->load_before, cmp_channel_cache_loaded, cc);

    if (rc != 0) {
        cmp_log_error(cc->log, CMP_LOG_ERR, "reading channels failed: %s",
                      cmp_strerror(rc));
        return 0;
    }

    if (cc->chunk == CMP_CHANNEL_CACHE_CHUNK) {
        return 1;
    }

    cc->loading = 0;
    cc->loaded = 1;

    for (i = 0, ok = 0; i < cc->nchans; i++) {
        ok += cc->chans[i].ok;
    }

    cmp_log_error(cc->log, CMP_LOG_INFO, "channels: %zu read, %zu can send",
                  cc->nchans, ok);

    return 1;
}


static int
cmp_channel_cache_loaded(void *ctx, const char *id, size_t len,
    const cmp_record_t *rec)
{
    cmp_channel_cache_t *cc = ctx;

    (void) cmp_channel_cache_apply(cc, id, len, rec);

    /* cmp_record_list() goes on before this one's creation */
    cc->load_before = rec->seq;

    return ++cc->chunk == CMP_CHANNEL_CACHE_CHUNK;
}


static int
cmp_channel_cache_changes(cmp_channel_cache_t *cc)
{
    int       rc;
    uint64_t  last, seen;

    if (cmp_changes_last(cc->st, cc->txn, &cmp_kind_channels, &last) != 0
        || last == cc->seen)
    {
        return 0;
    }

    cc->chunk = 0;

    rc = cmp_changes_walk(cc->st, cc->txn, &cmp_kind_channels, cc->seen,
                          CMP_CHANNEL_CACHE_CHUNK, cmp_channel_cache_changed,
                          cc, &seen);

    if (rc != 0) {
        cmp_log_error(cc->log, CMP_LOG_ERR, "reading channel changes "
                      "failed: %s", cmp_strerror(rc));
        return 0;
    }

    /* none read: a record that failed to read is tried next tick */
    if (seen == cc->seen) {
        return 0;
    }

    cmp_log_error(cc->log, CMP_LOG_DEBUG, "channels: %zu changed, read again",
                  cc->chunk);

    cc->seen = seen;

    return cc->seen != last;
}


static int
cmp_channel_cache_changed(void *ctx, uint64_t seq, const char *id, size_t len)
{
    cmp_channel_cache_t *cc = ctx;

    int           rc, ci;
    size_t        pos;
    cmp_record_t  rec;

    (void) seq;

    cc->chunk++;

    rc = cmp_record_get(cc->st, cc->txn, &cmp_kind_channels, id, len, &rec);

    if (rc == 0) {
        return cmp_channel_cache_apply(cc, id, len, &rec);
    }

    if (rc != CMP_NOTFOUND) {
        return rc;
    }

    ci = cmp_channel_cache_find(cc, id, len, &pos);

    if (ci >= 0 && !cc->chans[ci].retired) {
        cmp_log_error(cc->log, CMP_LOG_INFO, "channel %s: deleted",
                      cc->chans[ci].id);
        cmp_channel_cache_retire(cc, ci);
    }

    return 0;
}


/* a channel's record and secret, as the dispatcher needs them */
static int
cmp_channel_cache_apply(cmp_channel_cache_t *cc, const char *id, size_t len,
    const cmp_record_t *rec)
{
    int                    ok, ci;
    char                   err[64], *url, *auth;
    size_t                 pos, slen;
    json_t                *ch, *p, *secret;
    int64_t                n, now;
    cmp_chan_t            *c;
    const char            *token, *s, *status;
    const cmp_provider_t  *pr;

    if (len > CMP_ID_MAX) {
        return 0;
    }

    ch = cmp_json_parse(rec->json, rec->len, err, sizeof(err));
    if (ch == NULL) {
        return 0;
    }

    now = cmp_wall_msec();

    ci = cmp_channel_cache_find(cc, id, len, &pos);

    if (ci < 0) {
        ci = cmp_channel_cache_add(cc, id, len);

        if (ci < 0) {
            json_decref(ch);
            return 0;
        }

        cmp_bucket_init(&cc->chans[ci].bucket, 1, now);
    }

    c = &cc->chans[ci];
    c->retired = 0;

    s = json_string_value(json_object_get(ch, "type"));
    pr = (s != NULL) ? cmp_provider_find(s, strlen(s)) : NULL;

    if (pr == NULL) {
        pr = cmp_providers[0];
    }

    c->provider = pr;

    p = json_object_get(ch, pr->name);
    s = (pr->sender_field != NULL)
        ? json_string_value(json_object_get(p, pr->sender_field)) : NULL;
    snprintf(c->sender, sizeof(c->sender), "%s", s ? s : "");

    token = NULL;
    secret = NULL;

    if (cmp_secret_get(cc->st, cc->txn, id, len, &s, &slen) == 0) {
        secret = cmp_json_parse(s, slen, err, sizeof(err));
        token = json_string_value(json_object_get(secret, pr->token));
    }

    if (c->secrets != NULL) {
        memset(c->secrets, 0, strlen(c->secrets));
        free(c->secrets);
    }

    c->secrets = cmp_channel_cache_secrets(pr, secret);

    url = NULL;
    auth = NULL;

    if (token != NULL && pr->endpoint(p, token, &url, &auth) != 0) {
        url = NULL;
        auth = NULL;
    }

    json_decref(secret);

    free(c->url);
    c->url = url;
    c->headers = cmp_http_headers(c->headers, auth);
    free(auth);

    status = json_string_value(json_object_get(ch, "status"));
    ok = (url != NULL && c->headers != NULL
          && (status == NULL || strcmp(status, "error") != 0));

    /* the first walk says it once for all, in its summary */
    if (c->ok != ok && cc->loaded) {
        cmp_log_error(cc->log, ok ? CMP_LOG_INFO : CMP_LOG_WARN,
                      "channel %s: dispatch %s", c->id,
                      ok ? "on" : "stopped");
    }

    c->ok = ok;

    n = json_integer_value(json_object_get(ch, "rate_limit_per_second"));
    if (n > 0 && (double) n != c->bucket.rate) {
        cmp_bucket_set_rate(&c->bucket, (double) n, now);
    }

    n = json_integer_value(json_object_get(ch, "max_in_flight"));
    c->max_in_flight = (n > 0) ? n : 64;
    c->min_gap_ms = json_integer_value(json_object_get(ch,
                                                       "min_gap_seconds"))
                    * 1000;

    json_decref(ch);

    return 0;
}


/* the slot of a channel by its id, -1: not read (yet), or retired */
int
cmp_channel_cache_lookup(cmp_channel_cache_t *cc, const char *id)
{
    int     ci;
    size_t  pos;

    ci = cmp_channel_cache_find(cc, id, strlen(id), &pos);

    return (ci >= 0 && !cc->chans[ci].retired) ? ci : -1;
}


/* a deleted channel sends nothing more; its slot waits for its answers */
static void
cmp_channel_cache_retire(cmp_channel_cache_t *cc, int ci)
{
    cmp_chan_t  *c;

    c = &cc->chans[ci];
    c->ok = 0;
    c->retired = 1;

    cmp_channel_cache_idle(cc, ci);
}


/* the last request of channel ci answered: a retired slot is free again */
void
cmp_channel_cache_idle(cmp_channel_cache_t *cc, int ci)
{
    size_t       pos;
    cmp_chan_t  *c;

    c = &cc->chans[ci];

    if (!c->retired || c->in_flight > 0) {
        return;
    }

    if (cmp_channel_cache_find(cc, c->id, strlen(c->id), &pos) == ci) {
        cmp_channel_cache_unhash(cc, pos);
    }

    cmp_channel_cache_clear(c);
    memset(c, 0, sizeof(cmp_chan_t));

    c->retired = 1;
    c->next_free = cc->free_slot;
    cc->free_slot = ci;
}


static void
cmp_channel_cache_clear(cmp_chan_t *c)
{
    free(c->url);
    c->url = NULL;

    cmp_http_headers_release(c->headers);
    c->headers = NULL;

    if (c->secrets != NULL) {
        memset(c->secrets, 0, strlen(c->secrets));
        free(c->secrets);
        c->secrets = NULL;
    }
}


/* the slot of id, or -1 with *pos where it would go */
static int
cmp_channel_cache_find(cmp_channel_cache_t *cc, const char *id, size_t len,
    size_t *pos)
{
    size_t       i, mask;
    int32_t      slot;
    cmp_chan_t  *c;

    if (cc->hash_size == 0) {
        *pos = 0;
        return -1;
    }

    mask = cc->hash_size - 1;

    for (i = cmp_channel_cache_hash(id, len) & mask; ; i = (i + 1) & mask) {
        slot = cc->hash[i];

        if (slot == 0) {
            *pos = i;
            return -1;
        }

        c = &cc->chans[slot - 1];

        if (strncmp(c->id, id, len) == 0 && c->id[len] == '\0') {
            *pos = i;
            return slot - 1;
        }
    }
}


static int
cmp_channel_cache_add(cmp_channel_cache_t *cc, const char *id, size_t len)
{
    int          ci;
    size_t       pos, n;
    cmp_chan_t  *chans, *c;

    /* at most half full, so that probes stay short */
    if ((cc->hashed + 1) * 2 > cc->hash_size
        && cmp_channel_cache_rehash(cc, cc->hash_size ? cc->hash_size * 2
                                                      : 1024) != 0)
    {
        return -1;
    }

    if (cc->free_slot >= 0) {
        ci = cc->free_slot;
        cc->free_slot = cc->chans[ci].next_free;

    } else {
        if (cc->nchans == cc->nalloc) {
            n = cc->nalloc ? cc->nalloc * 2 : 64;

            chans = realloc(cc->chans, n * sizeof(cmp_chan_t));
            if (chans == NULL) {
                return -1;
            }

            cc->chans = chans;
            cc->nalloc = n;
        }

        ci = (int) cc->nchans++;
    }

    c = &cc->chans[ci];
    memset(c, 0, sizeof(cmp_chan_t));
    memcpy(c->id, id, len);
    c->id[len] = '\0';

    (void) cmp_channel_cache_find(cc, id, len, &pos);
    cc->hash[pos] = ci + 1;
    cc->hashed++;

    return ci;
}


static int
cmp_channel_cache_rehash(cmp_channel_cache_t *cc, size_t size)
{
    size_t    i, j, mask;
    int32_t  *hash, slot;

    hash = calloc(size, sizeof(int32_t));
    if (hash == NULL) {
        return -1;
    }

    mask = size - 1;

    for (i = 0; i < cc->hash_size; i++) {
        slot = cc->hash[i];

        if (slot == 0) {
            continue;
        }

        j = cmp_channel_cache_hash(cc->chans[slot - 1].id,
                                   strlen(cc->chans[slot - 1].id)) & mask;

        while (hash[j] != 0) {
            j = (j + 1) & mask;
        }

        hash[j] = slot;
    }

    free(cc->hash);
    cc->hash = hash;
    cc->hash_size = size;

    return 0;
}


/* linear probing's delete: entries after pos move up where they may */
static void
cmp_channel_cache_unhash(cmp_channel_cache_t *cc, size_t pos)
{
    size_t       i, j, k, mask;
    cmp_chan_t  *c;

    mask = cc->hash_size - 1;
    i = pos;
    j = pos;

    cc->hash[i] = 0;
    cc->hashed--;

    for ( ;; ) {
        j = (j + 1) & mask;

        if (cc->hash[j] == 0) {
            return;
        }

        c = &cc->chans[cc->hash[j] - 1];
        k = cmp_channel_cache_hash(c->id, strlen(c->id)) & mask;

        /* an entry whose home is in (i, j] cannot move up to i */
        if ((i <= j) ? (i < k && k <= j) : (i < k || k <= j)) {
            continue;
        }

        cc->hash[i] = cc->hash[j];
        cc->hash[j] = 0;
        i = j;
    }
}


/* FNV-1a; the caller masks it to its table */
static size_t
cmp_channel_cache_hash(const char *id, size_t len)
{
    size_t    i;
    uint64_t  h;

    h = 14695981039346656037ULL;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char) id[i];
        h *= 1099511628211ULL;
    }

    return (size_t) h;
}


/* the values of a channel's secrets, for cmp_answer_redact() */
static char *
cmp_channel_cache_secrets(const cmp_provider_t *pr, json_t *secret)
{
    char                *buf, *p;
    size_t               n;
    const char          *s;
    const char *const   *f;

    n = 1;

    for (f = pr->secrets; *f != NULL; f++) {
        s = json_string_value(json_object_get(secret, *f));
        n += (s != NULL) ? strlen(s) + 1 : 0;
    }

    buf = malloc(n);
    if (buf == NULL) {
        return NULL;
    }

    p = buf;

    for (f = pr->secrets; *f != NULL; f++) {
        s = json_string_value(json_object_get(secret, *f));

        if (s != NULL && *s != '\0') {
            n = strlen(s) + 1;
            memcpy(p, s, n);
            p += n;
        }
    }

    *p = '\0';

    return buf;
}
