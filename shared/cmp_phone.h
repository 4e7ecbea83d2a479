
/*
 * Contact field formats: E.164 phone numbers, plausible e-mail addresses
 * and ISO 3166-1 alpha-2 country codes; pure checks, no store.
 */


#ifndef _CMP_PHONE_H_INCLUDED_
#define _CMP_PHONE_H_INCLUDED_


#include <stddef.h>


#define CMP_PHONE_MAX   16          /* "+" and 15 digits */
#define CMP_EMAIL_MAX   254

/* folded names in index keys stay well under LMDB's 511-byte key limit */
#define CMP_FOLD_MAX    256


int cmp_phone_valid(const char *s, size_t len);
int cmp_email_valid(const char *s, size_t len);
int cmp_country_valid(const char *s, size_t len);
size_t cmp_text_fold(char *dst, size_t size, const char *s, size_t len);


#endif /* _CMP_PHONE_H_INCLUDED_ */
