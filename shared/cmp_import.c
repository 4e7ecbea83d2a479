
/*
 * Bulk import parsing with bounded memory: records are cut from the body
 * piece by piece (a record split across pieces is the only thing copied),
 * then a CSV record or an NDJSON line becomes one contact object.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_import.h"
#include "cmp_json.h"


static void cmp_lines_append(cmp_lines_t *ls, const char *p, size_t n);
static void cmp_lines_emit(cmp_lines_t *ls, const char *p, size_t n,
    cmp_import_rec_t *rec);


int
cmp_lines_init(cmp_lines_t *ls, int csv, size_t max)
{
    memset(ls, 0, sizeof(cmp_lines_t));

    ls->buf = malloc(max);
    if (ls->buf == NULL) {
        return -1;
    }

    ls->max = max;
    ls->line = 1;
    ls->csv = csv ? 1 : 0;
    ls->first = 1;

    return 0;
}


void
cmp_lines_free(cmp_lines_t *ls)
{
    free(ls->buf);
    ls->buf = NULL;
}


static void
cmp_lines_append(cmp_lines_t *ls, const char *p, size_t n)
{
    if (ls->too_long || n == 0) {
        return;
    }

    if (n > ls->max - ls->len) {
        /* the rest of this record is skipped, not kept */
        ls->too_long = 1;
        return;
    }

    memcpy(ls->buf + ls->len, p, n);
    ls->len += n;
}


static void
cmp_lines_emit(cmp_lines_t *ls, const char *p, size_t n,
    cmp_import_rec_t *rec)
{
    if (ls->len == 0 && !ls->too_long) {
        /* the whole record is in this piece: no copy */
        rec->data = p;
        rec->len = n;

    } else {
        cmp_lines_append(ls, p, n);
        rec->data = ls->buf;
        rec->len = ls->len;
    }

    if (rec->len > 0 && rec->data[rec->len - 1] == '\r') {
        rec->len--;
    }

    rec->line = ls->start;
    rec->too_long = ls->too_long;

    ls->reset = 1;
}


/*
 * Returns 1 with the next record (valid until the next call), or 0 when
 * [*pos, last) is used up; a partial record waits for the next piece.
 * In CSV a newline inside quotes does not end the record (RFC 4180).
 */
int
cmp_lines_next(cmp_lines_t *ls, const char **pos, const char *last,
    cmp_import_rec_t *rec)
{
    const char  *p, *start;

    if (ls->reset) {
        ls->len = 0;
        ls->too_long = 0;
        ls->started = 0;
        ls->reset = 0;
    }

    p = *pos;

    if (p == last) {
        return 0;
    }

    if (ls->first) {
        ls->first = 0;

        if (last - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
            p += 3;
        }
    }

    if (!ls->started) {
        ls->started = 1;
        ls->start = ls->line;
    }

    start = p;

    for ( /* void */ ; p < last; p++) {

        if (*p == '"' && ls->csv) {
            /* "" inside quotes toggles twice, which is what it means */
            ls->quoted = !ls->quoted;
            continue;
        }

        if (*p != '\n') {
            continue;
        }

        ls->line++;

        if (ls->quoted) {
            continue;
        }

        cmp_lines_emit(ls, start, p - start, rec);
        *pos = p + 1;

        return 1;
    }

    cmp_lines_append(ls, start, last - start);
    *pos = last;

    return 0;
}


/* the last record, when the body does not end with a newline */
int
cmp_lines_end(cmp_lines_t *ls, cmp_import_rec_t *rec)
{
    if (ls->reset || !ls->started) {
        return 0;
    }

    cmp_lines_emit(ls, ls->buf, 0, rec);

    if (rec->len == 0 && !rec->too_long) {
        return 0;
    }

    return 1;
}


int
cmp_import_blank(const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') {
            return 0;
        }
    }

    return 1;
}


/*
 * RFC 4180 fields: quoted fields may hold commas, newlines and "" for a
 * quote, and are unescaped into scratch (at least len bytes); unquoted
 * fields point into s.  Returns the field count or -1 with *err set.
 */
int
cmp_csv_split(const char *s, size_t len, char *scratch,
    cmp_csv_field_t *fields, int max, const char **err)
{
    int          n;
    char        *out, *begin;
    size_t       i;
    const char  *field;

    i = 0;
    n = 0;
    out = scratch;

    for ( ;; ) {
        if (n == max) {
            *err = "too many fields";
            return -1;
        }

        if (i < len && s[i] == '"') {
            i++;
            begin = out;

            for ( ;; ) {
                if (i == len) {
                    *err = "unterminated quoted field";
                    return -1;
                }

                if (s[i] == '"') {
                    if (i + 1 < len && s[i + 1] == '"') {
                        *out++ = '"';
                        i += 2;
                        continue;
                    }

                    i++;
                    break;
                }

                *out++ = s[i++];
            }

            fields[n].data = begin;
            fields[n].len = out - begin;
            n++;

            if (i == len) {
                return n;
            }

            if (s[i] != ',') {
                *err = "text after a closing quote";
                return -1;
            }

            i++;
            continue;
        }

        field = s + i;

        while (i < len && s[i] != ',') {
            if (s[i] == '"') {
                *err = "a quote inside an unquoted field";
                return -1;
            }

            i++;
        }

        fields[n].data = field;
        fields[n].len = (s + i) - field;
        n++;

        if (i == len) {
            return n;
        }

        i++;
    }
}


/*
 * The header row names the columns: phone (required), name, viber_id,
 * email, country, remark, and attr.<key> for each attribute.  Returns 0,
 * -1 for an unknown column (err names it), -2 for another mistake.
 */
int
cmp_csv_header(cmp_csv_header_t *h, const char *s, size_t len, char *err,
    size_t err_len)
{
    int               n, i, j, attrs, phone;
    char             *scratch;
    size_t            flen;
    const char       *e, *f;
    cmp_csv_field_t   fields[CMP_CSV_COLUMNS_MAX + 1];
    static const struct {
        const char        *name;
        cmp_csv_column_e   kind;
    } known[] = {
        { "phone", CMP_CSV_PHONE }, { "name", CMP_CSV_NAME },
        { "viber_id", CMP_CSV_VIBER_ID }, { "email", CMP_CSV_EMAIL },
        { "country", CMP_CSV_COUNTRY }, { "remark", CMP_CSV_REMARK },
    };

    memset(h, 0, sizeof(cmp_csv_header_t));

    if (!cmp_utf8_valid(s, len)) {
        snprintf(err, err_len, "the CSV header is not valid UTF-8");
        return -2;
    }

    scratch = malloc(len + 1);
    if (scratch == NULL) {
        snprintf(err, err_len, "out of memory");
        return -2;
    }

    n = cmp_csv_split(s, len, scratch, fields, CMP_CSV_COLUMNS_MAX, &e);

    if (n < 0) {
        snprintf(err, err_len, "the CSV header row is malformed: %s", e);
        free(scratch);
        return -2;
    }

    attrs = 0;
    phone = 0;

    for (i = 0; i < n; i++) {
        f = fields[i].data;
        flen = fields[i].len;

        while (flen > 0 && (*f == ' ' || *f == '\t')) {
            f++;
            flen--;
        }

        while (flen > 0 && (f[flen - 1] == ' ' || f[flen - 1] == '\t')) {
            flen--;
        }

        if (flen == 0 || flen > CMP_CSV_NAME_MAX) {
            snprintf(err, err_len, "CSV column %d has %s name", i + 1,
                     flen ? "too long a" : "an empty");
            free(scratch);
            return -2;
        }

        memcpy(h->name[i], f, flen);
        h->name[i][flen] = '\0';
        h->kind[i] = CMP_CSV_ATTR;

        for (j = 0; j < (int) (sizeof(known) / sizeof(known[0])); j++) {
            if (strcmp(h->name[i], known[j].name) == 0) {
                h->kind[i] = known[j].kind;
                break;
            }
        }

        if (h->kind[i] == CMP_CSV_ATTR) {
            if (flen < 6 || memcmp(f, "attr.", 5) != 0) {
                snprintf(err, err_len, "unknown CSV column \"%s\"",
                         h->name[i]);
                free(scratch);
                return -1;
            }

            if (++attrs > 64) {
                snprintf(err, err_len, "more than 64 attr. columns");
                free(scratch);
                return -2;
            }
        }

        if (h->kind[i] == CMP_CSV_PHONE) {
            phone = 1;
        }

        for (j = 0; j < i; j++) {
            if (strcmp(h->name[i], h->name[j]) == 0) {
                snprintf(err, err_len, "CSV column \"%s\" appears twice",
                         h->name[i]);
                free(scratch);
                return -2;
            }
        }
    }

    free(scratch);

    if (!phone) {
        snprintf(err, err_len, "the CSV header has no phone column");
        return -2;
    }

    h->ncols = n;

    return 0;
}


/*
 * A CSV record as the contact object an NDJSON line would carry; empty
 * cells are left out, so they never clear a stored value.  CSV has no
 * types: attributes are strings.
 */
json_t *
cmp_csv_record(const cmp_csv_header_t *h, const char *s, size_t len,
    char *scratch, char *err, size_t err_len)
{
    int               n, i;
    json_t           *obj, *attrs, *v;
    const char       *e;
    cmp_csv_field_t   fields[CMP_CSV_COLUMNS_MAX + 1];
    static const char  *names[] = {
        "phone", "name", "viber_id", "email", "country", "remark"
    };

    if (!cmp_utf8_valid(s, len)) {
        snprintf(err, err_len, "line is not valid UTF-8");
        return NULL;
    }

    n = cmp_csv_split(s, len, scratch, fields, CMP_CSV_COLUMNS_MAX + 1, &e);

    if (n < 0) {
        snprintf(err, err_len, "malformed CSV: %s", e);
        return NULL;
    }

    if (n != h->ncols) {
        snprintf(err, err_len, "line has %d fields, the header has %d",
                 n, h->ncols);
        return NULL;
    }

    obj = json_object();
    if (obj == NULL) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }

    attrs = NULL;

    for (i = 0; i < n; i++) {
        if (fields[i].len == 0) {
            continue;
        }

        v = json_stringn(fields[i].data, fields[i].len);
        if (v == NULL) {
            json_decref(obj);
            snprintf(err, err_len, "field %d cannot be stored", i + 1);
            return NULL;
        }

        if (h->kind[i] != CMP_CSV_ATTR) {
            json_object_set_new(obj, names[h->kind[i]], v);
            continue;
        }

        if (attrs == NULL) {
            attrs = json_object();
            json_object_set_new(obj, "attributes", attrs);
        }

        json_object_set_new(attrs, h->name[i] + 5, v);
    }

    return obj;
}


json_t *
cmp_ndjson_record(const char *s, size_t len, char *err, size_t err_len)
{
    json_t  *obj;

    if (!cmp_utf8_valid(s, len)) {
        snprintf(err, err_len, "line is not valid UTF-8");
        return NULL;
    }

    obj = cmp_json_parse(s, len, err, err_len);
    if (obj == NULL) {
        return NULL;
    }

    if (!json_is_object(obj)) {
        json_decref(obj);
        snprintf(err, err_len, "line must be a JSON object");
        return NULL;
    }

    return obj;
}
