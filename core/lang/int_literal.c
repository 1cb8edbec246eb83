/*
 * Integer literals of the language: decimal, 0x hex, 0NN octal, 1_000, 1e6,
 * durations (1s, 100ms), C suffixes (u, l, ul, ll, ull) ignored.
 */
#include "lexer.h"

#include <ctype.h>
#include <string.h>

static bool mul_add(uint64_t *v, unsigned base, unsigned digit)
{
	if (*v > (UINT64_MAX - digit) / base)
		return false;
	*v = *v * base + digit;
	return true;
}

int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A duration suffix (1s, 100ms): *v in nanoseconds; false if s is no suffix or *v overflows. */
static bool duration_suffix(const char *s, size_t n, uint64_t *v, bool *overflow)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = { { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000ull },
		      { "m", 60000000000ull }, { "h", 3600000000000ull }, { "d", 86400000000000ull } };
	for (size_t k = 0; k < sizeof(units) / sizeof(units[0]); k++)
		if (strlen(units[k].unit) == n && memcmp(units[k].unit, s, n) == 0) {
			*overflow = *v > UINT64_MAX / units[k].ns;
			*v *= units[k].ns;
			return true;
		}
	return false;
}

enum int_error int_literal(const char *s, size_t n, uint64_t *out)
{
	char buf[128];
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '_')
			continue;
		if (len == sizeof(buf))
			return INT_RANGE;
		buf[len++] = s[i];
	}
	for (int k = 0; k < 3 && len > 1 && strchr("uUlL", buf[len - 1]); k++)
		len--;
	uint64_t v = 0;
	size_t i = 0;
	if (len > 2 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X')) {
		for (i = 2; i < len && hex_digit(buf[i]) >= 0; i++)
			if (!mul_add(&v, 16, (unsigned)hex_digit(buf[i])))
				return INT_RANGE;
	} else if (len > 1 && buf[0] == '0' && isdigit((unsigned char)buf[1])) {
		for (i = 1; i < len && buf[i] >= '0' && buf[i] <= '7'; i++)
			if (!mul_add(&v, 8, (unsigned)(buf[i] - '0')))
				return INT_RANGE;
	} else {
		for (; i < len && isdigit((unsigned char)buf[i]); i++)
			if (!mul_add(&v, 10, (unsigned)(buf[i] - '0')))
				return INT_RANGE;
		bool overflow;
		if (i > 0 && duration_suffix(buf + i, len - i, &v, &overflow)) {
			*out = v;
			return overflow ? INT_RANGE : INT_OK;
		}
		if (i + 1 < len && (buf[i] == 'e' || buf[i] == 'E') && isdigit((unsigned char)buf[i + 1])) {
			uint64_t exp = 0;
			for (i++; i < len && isdigit((unsigned char)buf[i]); i++)
				if (!mul_add(&exp, 10, (unsigned)(buf[i] - '0')))
					return INT_RANGE;
			for (; exp > 0 && v != 0; exp--)
				if (!mul_add(&v, 10, 0))
					return INT_RANGE;
		}
	}
	if (i != len)
		return INT_TRAILING;
	*out = v;
	return INT_OK;
}
