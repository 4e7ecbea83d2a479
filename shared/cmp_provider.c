
/*
 * The provider table, and what every provider's wire format shares: the
 * lookups, a contact's address, opt-out words, answers and events.
 */


#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmp_provider.h"
#include "cmp_json.h"


/* a provider is one file (cmp_<name>.c) and one row here */
const cmp_provider_t *const  cmp_providers[] = {
    &cmp_whatsapp,
    &cmp_viber,
    NULL
};


const cmp_provider_t *
cmp_provider_find(const char *name, size_t len)
{
    size_t  i;

    if (name == NULL) {
        return NULL;
    }

    for (i = 0; cmp_providers[i] != NULL; i++) {
        if (strlen(cmp_providers[i]->name) == len
            && memcmp(cmp_providers[i]->name, name, len) == 0)
        {
            return cmp_providers[i];
        }
    }

    return NULL;
}


const cmp_provider_t *
cmp_provider_by_node(const char *node)
{
    size_t  i;

    if (node == NULL) {
        return NULL;
    }

    for (i = 0; cmp_providers[i] != NULL; i++) {
        if (strcmp(cmp_providers[i]->node, node) == 0) {
            return cmp_providers[i];
        }
    }

    return NULL;
}


size_t
cmp_provider_index(const cmp_provider_t *p)
{
    size_t  i;

    for (i = 0; cmp_providers[i] != NULL; i++) {
        if (cmp_providers[i] == p) {
            return i;
        }
    }

    return CMP_PROVIDER_MAX;
}


/* the contact's address on p as sent: NULL when it has none */
const char *
cmp_provider_address(const cmp_provider_t *p, const json_t *contact,
    char *buf, size_t size)
{
    size_t       n;
    const char  *s;

    s = json_string_value(json_object_get(contact, p->address_field));

    if (s == NULL || *s == '\0') {
        return NULL;
    }

    n = strlen(p->address_prefix);

    if (n > 0 && strncmp(s, p->address_prefix, n) == 0) {
        s += n;
    }

    snprintf(buf, size, "%s", s);

    return buf;
}


/* a callback's sender as a key of p->address_index; 0: too long */
size_t
cmp_provider_contact_key(const cmp_provider_t *p, const char *from,
    char *buf, size_t size)
{
    size_t  n, len;

    n = strlen(p->address_prefix);
    len = strlen(from);

    if (n + len > size) {
        return 0;
    }

    memcpy(buf, p->address_prefix, n);
    memcpy(buf + n, from, len);

    return n + len;
}


/*
 * A verify token as an index key: FNV-1a, so the index names the channel
 * without holding the secret; the caller compares the secret itself.
 */
size_t
cmp_provider_token_key(const char *token, size_t len, char *key)
{
    size_t    i;
    uint64_t  h;

    h = 14695981039346656037ULL;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char) token[i];
        h *= 1099511628211ULL;
    }

    snprintf(key, CMP_PROVIDER_TOKEN_KEY + 1, "%016llx",
             (unsigned long long) h);

    return CMP_PROVIDER_TOKEN_KEY;
}


/* one of p's opt-out words, in any case, with blanks around */
int
cmp_provider_opt_out_word(const cmp_provider_t *p, const char *text,
    size_t len)
{
    size_t              n;
    const char *const  *w;

    while (len > 0 && isspace((unsigned char) *text)) {
        text++;
        len--;
    }

    while (len > 0 && isspace((unsigned char) text[len - 1])) {
        len--;
    }

    for (w = p->opt_out_words; *w != NULL; w++) {
        n = strlen(*w);

        if (len == n && strncasecmp(text, *w, n) == 0) {
            return 1;
        }
    }

    return 0;
}


/*
 * The parts of a text message's record a request body is made of, as raw
 * JSON (quoted strings), each record read once; -1: not a text message.
 */
int
cmp_provider_text(const char *rec, size_t len, cmp_json_field_t *part)
{
    char              type[16];
    cmp_json_field_t  in[2];

    part[CMP_PART_RECIPIENT].name = "recipient";
    part[CMP_PART_ID].name = "id";
    part[CMP_PART_TEXT].name = "payload";

    if (cmp_json_raw_find(rec, len, part, 3) != 0
        || part[CMP_PART_RECIPIENT].value == NULL
        || part[CMP_PART_ID].value == NULL)
    {
        return -1;
    }

    in[0].name = "type";
    in[1].name = "text";

    if (part[CMP_PART_TEXT].value == NULL
        || cmp_json_raw_find(part[CMP_PART_TEXT].value,
                             part[CMP_PART_TEXT].len, in, 2) != 0
        || cmp_json_raw_value_string(in[0].value, in[0].len, type,
                                     sizeof(type)) != 0
        || strcmp(type, "text") != 0
        || in[1].value == NULL)
    {
        return -1;
    }

    part[CMP_PART_TEXT] = in[1];

    return 0;
}


/*
 * "code: text" for the ledger, kept UTF-8: a provider's long text cut to
 * fit may end in half a character, and the record must stay readable.
 */
void
cmp_answer_error(cmp_answer_t *a, long code, const char *text)
{
    snprintf(a->error, sizeof(a->error), "%ld: %s", code,
             text ? text : "error");
    cmp_utf8_repair(a->error, strlen(a->error), 1);
}


/* the class of code in a provider's table (ended by lo -1); 0: unknown */
int
cmp_answer_code(cmp_answer_t *a, long code, const cmp_answer_code_t *table)
{
    const cmp_answer_code_t  *t;

    for (t = table; t->lo != -1; t++) {
        if (code == t->lo || (t->hi != 0 && code >= t->lo && code <= t->hi))
        {
            a->klass = t->klass;
            a->defer = t->defer;
            a->defer_max = t->defer_max;
            return 1;
        }
    }

    return 0;
}


/*
 * A provider may echo the request's credentials in its error text; what
 * is stored, logged or shown never carries them.  secrets: the channel's
 * secret values, each NUL-terminated, then an empty one.
 */
void
cmp_answer_redact(cmp_answer_t *a, const char *secrets)
{
    char        *p, *q;
    size_t       n, len;
    const char  *s;
    static const char  mark[] = "[redacted]";

    len = strlen(a->error);

    for (s = secrets; s != NULL && *s != '\0'; s += n + 1) {
        n = strlen(s);

        while (n >= 4 && (p = strstr(a->error, s)) != NULL) {
            memmove(p + sizeof(mark) - 1, p + n, len - (p - a->error) - n
                                                 + 1);
            memcpy(p, mark, sizeof(mark) - 1);
            len = len - n + sizeof(mark) - 1;

            if (len >= sizeof(a->error)) {
                a->error[sizeof(a->error) - 1] = '\0';
                len = sizeof(a->error) - 1;
            }
        }
    }

    /* whatever follows "Bearer ", a token we may not know */
    for (p = a->error; *p != '\0'; p = q) {
        q = p + 1;

        if (strncasecmp(p, "bearer ", 7) != 0) {
            continue;
        }

        p += 7;

        for (q = p; *q != '\0' && *q != ' ' && *q != '"' && *q != ','
                    && *q != ';' && *q != ')'; q++)
        {
            /* void */
        }

        if (q == p || (q - p == sizeof(mark) - 1
                       && memcmp(p, mark, q - p) == 0))
        {
            continue;
        }

        n = sizeof(mark) - 1;

        if ((size_t) (q - p) < n) {
            n = q - p;
        }

        memcpy(p, mark, n);
        memmove(p + n, q, strlen(q) + 1);
        q = p + n;
    }

    cmp_utf8_repair(a->error, strlen(a->error), 1);
}


/* for the failure of a transport, or an answer we cannot read */
void
cmp_answer_transport(long http, int64_t retry_after, const char *what,
    cmp_answer_t *a)
{
    memset(a, 0, sizeof(cmp_answer_t));

    a->code = http;
    a->retry_after = retry_after;

    if (http == 401 || http == 403) {
        a->klass = CMP_ANSWER_BLOCKED;

    } else if (http == 0 || http == 429 || http >= 500) {
        a->klass = CMP_ANSWER_THROTTLED;

    } else {
        a->klass = CMP_ANSWER_REFUSED;
    }

    cmp_answer_error(a, http, what);
}


int
cmp_provider_endpoint(char **url, char **auth, const char *header,
    const char *token, const char *fmt, ...)
{
    int      n;
    size_t   len;
    va_list  args;

    va_start(args, fmt);
    n = vsnprintf(NULL, 0, fmt, args);
    va_end(args);

    len = strlen(header) + strlen(token) + 1;
    *url = (n >= 0) ? malloc(n + 1) : NULL;
    *auth = malloc(len);

    if (*url == NULL || *auth == NULL) {
        free(*url);
        free(*auth);
        *url = NULL;
        *auth = NULL;
        return -1;
    }

    va_start(args, fmt);
    vsnprintf(*url, n + 1, fmt, args);
    va_end(args);

    snprintf(*auth, len, "%s%s", header, token);

    return 0;
}


const char *
cmp_provider_field(const cmp_provider_t *p, const json_t *obj,
    const char *name)
{
    const char                  *s;
    const cmp_provider_field_t  *f;

    s = json_string_value(json_object_get(obj, name));

    for (f = p->fields; s == NULL && f->name != NULL; f++) {
        if (strcmp(f->name, name) == 0) {
            s = f->dflt;
        }
    }

    return s;
}


const char *
cmp_provider_str(const json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}


json_t *
cmp_provider_event(json_t *events, const char *type)
{
    json_t  *ev;

    ev = json_object();
    if (ev == NULL || json_array_append_new(events, ev) != 0) {
        return NULL;
    }

    json_object_set_new(ev, "type", json_string(type));

    return ev;
}


/*
 * An event the module cannot use: kept as "ignored" with why, for the
 * log, and with its route, which still names the channel that signed.
 */
void
cmp_provider_skip(json_t *events, const char *route, const char *fmt, ...)
{
    char     why[160];
    json_t  *ev;
    va_list  args;

    va_start(args, fmt);
    vsnprintf(why, sizeof(why), fmt, args);
    va_end(args);

    ev = cmp_provider_event(events, "ignored");
    if (ev == NULL) {
        return;
    }

    cmp_utf8_repair(why, strlen(why), 1);
    json_object_set_new(ev, "why", json_string(why));

    if (route != NULL) {
        json_object_set_new(ev, "route", json_string(route));
    }
}


/* ids become index keys; LMDB keys are at most 511 bytes */
int
cmp_provider_id_ok(const char *s, const char *what, char *err,
    size_t err_len)
{
    size_t  len;

    if (s == NULL) {
        snprintf(err, err_len, "%s is missing", what);
        return 0;
    }

    len = strlen(s);

    if (len == 0 || len > CMP_PROVIDER_ID_MAX) {
        snprintf(err, err_len, "%s must be 1 to %d characters", what,
                 CMP_PROVIDER_ID_MAX);
        return 0;
    }

    return 1;
}


/* unix seconds as a string (WhatsApp), or milliseconds (Viber) */
int64_t
cmp_provider_time(const json_t *v)
{
    int64_t      t;
    const char  *s;

    if (json_is_integer(v)) {
        t = json_integer_value(v);
        return (t > 100000000000LL) ? t / 1000 : t;
    }

    s = json_string_value(v);
    if (s == NULL) {
        return 0;
    }

    t = 0;

    for ( /* void */ ; *s >= '0' && *s <= '9'; s++) {
        if (t > 1000000000000LL) {
            return 0;
        }

        t = t * 10 + (*s - '0');
    }

    return (*s == '\0') ? t : 0;
}
