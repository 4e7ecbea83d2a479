
/*
 * Strict JSON input (duplicate keys refused, nesting bounded before jansson
 * recurses), code-point lengths for the API's limits, and RFC 3339 times.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmp_json.h"
#include "cmp_json_reader.h"
#include "cmp_json_writer.h"


static int cmp_digits(const char *s, int n, int *v);
static int64_t cmp_days_from_civil(int y, int m, int d);
static void cmp_time_format_uncached(int64_t t, char *buf);


/*
 * jansson recurses up to its own compile-time limit (2048); the API allows
 * 32, so the nesting is measured on the raw bytes first.
 */
int
cmp_json_depth_ok(const char *buf, size_t len, int max_depth)
{
    int     depth, in_string;
    size_t  i;

    depth = 0;
    in_string = 0;

    for (i = 0; i < len; i++) {

        if (in_string) {
            if (buf[i] == '\\') {
                i++;

            } else if (buf[i] == '"') {
                in_string = 0;
            }

            continue;
        }

        switch (buf[i]) {

        case '"':
            in_string = 1;
            break;

        case '{':
        case '[':
            if (++depth > max_depth) {
                return 0;
            }
            break;

        case '}':
        case ']':
            depth--;
            break;
        }
    }

    return 1;
}


json_t *
cmp_json_parse(const char *buf, size_t len, char *err, size_t err_len)
{
    char          *near;
    json_t        *json;
    json_error_t   jerr;

    /*
     * plain JSON, the usual case, needs no stream, and its reader stops
     * at the nesting limit itself; jansson reads the rest
     */
    json = cmp_json_read_plain(buf, len);
    if (json != NULL) {
        return json;
    }

    if (!cmp_json_depth_ok(buf, len, CMP_JSON_MAX_DEPTH)) {
        snprintf(err, err_len, "JSON nesting is deeper than %d",
                 CMP_JSON_MAX_DEPTH);
        return NULL;
    }

    json = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);

    if (json == NULL) {
        /*
         * jansson quotes the text "near" the error, which may be part of
         * a secret (an access_token); the position is enough, and the
         * message is logged and answered.
         */
        near = strstr(jerr.text, " near ");
        if (near != NULL) {
            *near = '\0';
        }

        snprintf(err, err_len, "invalid JSON at line %d column %d: %s",
                 jerr.line, jerr.column, jerr.text);
        return NULL;
    }

    return json;
}


/* jansson's compact dump, as bytes; only objects and arrays, as there */
char *
cmp_json_dump(const json_t *json, size_t *len)
{
    cmp_text_t  w;

    if (!json_is_object(json) && !json_is_array(json)) {
        return NULL;
    }

    if (cmp_text_init(&w, 512) != 0) {
        return NULL;
    }

    cmp_json_write_value(&w, json);

    return cmp_text_take(&w, len);
}


int
cmp_utf8_valid(const char *s, size_t len)
{
    size_t          i, n, k;
    uint32_t        cp;
    unsigned char   c;

    for (i = 0; i < len; i += n) {
        c = (unsigned char) s[i];

        if (c < 0x80) {
            n = 1;
            continue;
        }

        if ((c & 0xe0) == 0xc0) {
            n = 2;
            cp = c & 0x1f;

        } else if ((c & 0xf0) == 0xe0) {
            n = 3;
            cp = c & 0x0f;

        } else if ((c & 0xf8) == 0xf0) {
            n = 4;
            cp = c & 0x07;

        } else {
            return 0;
        }

        if (i + n > len) {
            return 0;
        }

        for (k = 1; k < n; k++) {
            c = (unsigned char) s[i + k];

            if ((c & 0xc0) != 0x80) {
                return 0;
            }

            cp = (cp << 6) | (c & 0x3f);
        }

        /* overlong forms, surrogates and code points past U+10FFFF */
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800)
            || (n == 4 && cp < 0x10000) || cp > 0x10ffff
            || (cp >= 0xd800 && cp <= 0xdfff))
        {
            return 0;
        }
    }

    return 1;
}


/* counts code points of text already known to be valid UTF-8 */
size_t
cmp_utf8_length(const char *s, size_t len)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {
        if (((unsigned char) s[i] & 0xc0) != 0x80) {
            n++;
        }
    }

    return n;
}


/*
 * Text for a JSON answer must be UTF-8 or jansson drops it: a character
 * that a bounded snprintf() cut in two (truncated) is dropped, and any
 * other invalid byte (an id taken from the URI) becomes '?'.  Returns the
 * new length; s stays NUL-terminated when it was.
 */
size_t
cmp_utf8_repair(char *s, size_t len, int truncated)
{
    size_t          i, n, cut;
    unsigned char   c;

    if (cmp_utf8_valid(s, len)) {
        return len;
    }

    if (truncated) {
        for (cut = 1; cut <= 3 && cut <= len; cut++) {
            c = (unsigned char) s[len - cut];

            if (c < 0x80) {
                break;
            }

            if (c >= 0xc0) {
                if (cmp_utf8_valid(s, len - cut)) {
                    s[len - cut] = '\0';
                    return len - cut;
                }

                break;
            }
        }
    }

    for (i = 0; i < len; i += n) {
        c = (unsigned char) s[i];
        n = (c < 0x80) ? 1 : (c >= 0xc2 && c <= 0xdf) ? 2
            : (c >= 0xe0 && c <= 0xef) ? 3 : (c >= 0xf0 && c <= 0xf4) ? 4 : 0;

        if (n == 0 || i + n > len || !cmp_utf8_valid(s + i, n)) {
            s[i] = '?';
            n = 1;
        }
    }

    return len;
}


static int
cmp_digits(const char *s, int n, int *v)
{
    int  i;

    *v = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }

        *v = *v * 10 + (s[i] - '0');
    }

    return 1;
}


/* Howard Hinnant's algorithm: no timegm(), no TZ, valid for any year */
static int64_t
cmp_days_from_civil(int y, int m, int d)
{
    int64_t   era;
    unsigned  yoe, doy, doe;

    y -= (m <= 2);
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned) (y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + (int64_t) doe - 719468;
}


/*
 * RFC 3339 date-time: "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)";
 * fractions are accepted and truncated, the API keeps whole seconds.
 */
int
cmp_time_parse(const char *s, int64_t *t)
{
    int          y, mo, d, h, mi, sec, oh, om, sign, mdays;
    size_t       len, i;
    static const int  days[] = { 31, 29, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31 };

    len = strlen(s);

    if (len < 20
        || !cmp_digits(s, 4, &y) || s[4] != '-'
        || !cmp_digits(s + 5, 2, &mo) || s[7] != '-'
        || !cmp_digits(s + 8, 2, &d)
        || (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
        || !cmp_digits(s + 11, 2, &h) || s[13] != ':'
        || !cmp_digits(s + 14, 2, &mi) || s[16] != ':'
        || !cmp_digits(s + 17, 2, &sec))
    {
        return 0;
    }

    if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 60) {
        return 0;
    }

    mdays = days[mo - 1];

    if (mo == 2 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
        mdays = 28;
    }

    if (d > mdays) {
        return 0;
    }

    i = 19;

    if (s[i] == '.') {
        i++;

        if (i >= len || s[i] < '0' || s[i] > '9') {
            return 0;
        }

        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
    }

    if (i + 1 == len && (s[i] == 'Z' || s[i] == 'z')) {
        oh = 0;
        om = 0;
        sign = 1;

    } else if (i + 6 == len && (s[i] == '+' || s[i] == '-')
               && cmp_digits(s + i + 1, 2, &oh) && s[i + 3] == ':'
               && cmp_digits(s + i + 4, 2, &om) && oh <= 23 && om <= 59)
    {
        sign = (s[i] == '+') ? 1 : -1;

    } else {
        return 0;
    }

    if (sec == 60) {
        sec = 59;
    }

    *t = cmp_days_from_civil(y, mo, d) * 86400
         + h * 3600 + mi * 60 + sec
         - sign * (oh * 3600 + om * 60);

    return 1;
}


/*
 * Every record of a batch carries the same "now" twice: the last answer
 * is kept per thread, as a bulk import formats a million of them.
 */
void
cmp_time_format(int64_t t, char *buf)
{
    static __thread int64_t  last_t = INT64_MIN;
    static __thread char     last[CMP_TIME_LEN + 1];

    if (t == last_t) {
        memcpy(buf, last, CMP_TIME_LEN + 1);
        return;
    }

    cmp_time_format_uncached(t, buf);

    memcpy(last, buf, CMP_TIME_LEN + 1);
    last_t = t;
}


static void
cmp_time_format_uncached(int64_t t, char *buf)
{
    int64_t    days, secs, z, era;
    char       tmp[64];
    unsigned   doe, yoe, doy, mp, d, m;
    long long  y;

    days = t / 86400;
    secs = t % 86400;

    if (secs < 0) {
        secs += 86400;
        days--;
    }

    z = days + 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned) (z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = (long long) yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += (m <= 2);

    /* years past 9999 do not fit RFC 3339; the API never makes them */
    if (y > 9999) {
        y = 9999;

    } else if (y < 0) {
        y = 0;
    }

    snprintf(tmp, sizeof(tmp), "%04lld-%02u-%02uT%02d:%02d:%02dZ",
             y, m, d, (int) (secs / 3600), (int) (secs / 60 % 60),
             (int) (secs % 60));

    memcpy(buf, tmp, CMP_TIME_LEN + 1);
}
