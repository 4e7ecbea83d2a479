
/*
 * Contact field formats.  The checks are deliberately plain: a phone is
 * exactly what WhatsApp and Viber accept, an e-mail only has to look sane.
 */


#include <string.h>

#include "cmp_phone.h"


static int cmp_email_domain_valid(const char *s, size_t len);


/*
 * Every officially assigned ISO 3166-1 alpha-2 code, sorted, so that a
 * typo such as "UK" (the code is "GB") is refused instead of stored.
 */
static const char  cmp_countries[] =
    "AD" "AE" "AF" "AG" "AI" "AL" "AM" "AO" "AQ" "AR" "AS" "AT" "AU" "AW"
    "AX" "AZ" "BA" "BB" "BD" "BE" "BF" "BG" "BH" "BI" "BJ" "BL" "BM" "BN"
    "BO" "BQ" "BR" "BS" "BT" "BV" "BW" "BY" "BZ" "CA" "CC" "CD" "CF" "CG"
    "CH" "CI" "CK" "CL" "CM" "CN" "CO" "CR" "CU" "CV" "CW" "CX" "CY" "CZ"
    "DE" "DJ" "DK" "DM" "DO" "DZ" "EC" "EE" "EG" "EH" "ER" "ES" "ET" "FI"
    "FJ" "FK" "FM" "FO" "FR" "GA" "GB" "GD" "GE" "GF" "GG" "GH" "GI" "GL"
    "GM" "GN" "GP" "GQ" "GR" "GS" "GT" "GU" "GW" "GY" "HK" "HM" "HN" "HR"
    "HT" "HU" "ID" "IE" "IL" "IM" "IN" "IO" "IQ" "IR" "IS" "IT" "JE" "JM"
    "JO" "JP" "KE" "KG" "KH" "KI" "KM" "KN" "KP" "KR" "KW" "KY" "KZ" "LA"
    "LB" "LC" "LI" "LK" "LR" "LS" "LT" "LU" "LV" "LY" "MA" "MC" "MD" "ME"
    "MF" "MG" "MH" "MK" "ML" "MM" "MN" "MO" "MP" "MQ" "MR" "MS" "MT" "MU"
    "MV" "MW" "MX" "MY" "MZ" "NA" "NC" "NE" "NF" "NG" "NI" "NL" "NO" "NP"
    "NR" "NU" "NZ" "OM" "PA" "PE" "PF" "PG" "PH" "PK" "PL" "PM" "PN" "PR"
    "PS" "PT" "PW" "PY" "QA" "RE" "RO" "RS" "RU" "RW" "SA" "SB" "SC" "SD"
    "SE" "SG" "SH" "SI" "SJ" "SK" "SL" "SM" "SN" "SO" "SR" "SS" "ST" "SV"
    "SX" "SY" "SZ" "TC" "TD" "TF" "TG" "TH" "TJ" "TK" "TL" "TM" "TN" "TO"
    "TR" "TT" "TV" "TW" "TZ" "UA" "UG" "UM" "US" "UY" "UZ" "VA" "VC" "VE"
    "VG" "VI" "VN" "VU" "WF" "WS" "YE" "YT" "ZA" "ZM" "ZW";


/* "+" then 8 to 15 digits; E.164 country codes never start with 0 */
int
cmp_phone_valid(const char *s, size_t len)
{
    size_t  i;

    if (len < 9 || len > CMP_PHONE_MAX || s[0] != '+' || s[1] == '0') {
        return 0;
    }

    for (i = 1; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }

    return 1;
}


/*
 * local@domain: no spaces, quotes or controls in the local part, a domain
 * of dotted labels with a top-level label of two or more characters.
 * Bytes >= 0x80 pass so internationalized addresses are not refused.
 */
int
cmp_email_valid(const char *s, size_t len)
{
    size_t          i, at;
    unsigned char   c;

    if (len < 3 || len > CMP_EMAIL_MAX) {
        return 0;
    }

    at = len;

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (c <= 0x20 || c == 0x7f || c == '"' || c == '(' || c == ')'
            || c == ',' || c == ':' || c == ';' || c == '<' || c == '>'
            || c == '[' || c == ']' || c == '\\')
        {
            return 0;
        }

        if (c == '@') {
            if (at != len) {
                return 0;
            }

            at = i;
        }
    }

    if (at == 0 || at == len || at > 64) {
        return 0;
    }

    if (s[0] == '.' || s[at - 1] == '.') {
        return 0;
    }

    for (i = 1; i < at; i++) {
        if (s[i] == '.' && s[i - 1] == '.') {
            return 0;
        }
    }

    return cmp_email_domain_valid(s + at + 1, len - at - 1);
}


static int
cmp_email_domain_valid(const char *s, size_t len)
{
    size_t          i, label, labels, last;
    unsigned char   c;

    label = 0;
    labels = 0;
    last = 0;

    for (i = 0; i <= len; i++) {

        if (i == len || s[i] == '.') {
            if (label == 0 || label > 63 || s[i - 1] == '-') {
                return 0;
            }

            last = label;
            label = 0;
            labels++;
            continue;
        }

        c = (unsigned char) s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '-' || c >= 0x80))
        {
            return 0;
        }

        if (label == 0 && c == '-') {
            return 0;
        }

        label++;
    }

    return labels >= 2 && last >= 2;
}


/* upper case only; callers that accept "cn" upper-case it first */
int
cmp_country_valid(const char *s, size_t len)
{
    size_t  lo, hi, mid;
    int     cmp;

    if (len != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z') {
        return 0;
    }

    lo = 0;
    hi = (sizeof(cmp_countries) - 1) / 2;

    while (lo < hi) {
        mid = (lo + hi) / 2;
        cmp = memcmp(s, cmp_countries + mid * 2, 2);

        if (cmp == 0) {
            return 1;
        }

        if (cmp < 0) {
            hi = mid;

        } else {
            lo = mid + 1;
        }
    }

    return 0;
}


/*
 * Case-insensitive keys (unique group names, name prefix search) fold
 * ASCII only; other characters compare as they are.  The result is cut at
 * a character boundary to fit size.
 */
size_t
cmp_text_fold(char *dst, size_t size, const char *s, size_t len)
{
    size_t  i, n;

    n = (len < size) ? len : size;

    /* do not cut a UTF-8 sequence in half */
    if (n < len) {
        while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80) {
            n--;
        }
    }

    for (i = 0; i < n; i++) {
        dst[i] = (s[i] >= 'A' && s[i] <= 'Z') ? s[i] - 'A' + 'a' : s[i];
    }

    return n;
}
