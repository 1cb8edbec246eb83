/*
 * jsoncheck: is every line of stdin one complete JSON object (RFC 8259,
 * UTF-8)? For NDJSON tests without python or jq.
 *
 *	jsoncheck < out.json    prints "N lines ok", exit 0
 *	                        or "line N, byte B: why", exit 1
 * N counts the objects: empty lines (bpftrace writes two at exit, before the
 * maps) are skipped. No object at all or a last line without '\n' is an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char *p, *end;
static const char *why;

static void ws(void)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
}

static int fail(const char *msg)
{
	if (!why)
		why = msg;
	return -1;
}

static int value(int depth);

static int lit(const char *s)
{
	size_t n = strlen(s);
	if ((size_t)(end - p) < n || memcmp(p, s, n))
		return fail("bad literal");
	p += n;
	return 0;
}

static int hex4(void)
{
	for (int i = 0; i < 4; i++, p++)
		if (p >= end || !strchr("0123456789abcdefABCDEF", *p) || !*p)
			return fail("bad \\u escape");
	return 0;
}

static int utf8(void)
{
	unsigned c = *p, n, cp;
	if (c >= 0xc2 && c <= 0xdf)
		n = 1, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 2, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 3, cp = c & 0x07;
	else
		return fail("invalid UTF-8");
	p++;
	for (unsigned i = 0; i < n; i++, p++) {
		if (p >= end || (*p & 0xc0) != 0x80)
			return fail("invalid UTF-8");
		cp = cp << 6 | (*p & 0x3f);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return fail("invalid UTF-8");
	return 0;
}

static int string(void)
{
	p++; /* '"' */
	while (p < end) {
		unsigned char c = *p;
		if (c == '"') {
			p++;
			return 0;
		}
		if (c < 0x20)
			return fail("control character in string");
		if (c == '\\') {
			p++;
			if (p >= end)
				break;
			if (*p == 'u') {
				p++;
				if (hex4() < 0)
					return -1;
			} else if (strchr("\"\\/bfnrt", *p) && *p) {
				p++;
			} else {
				return fail("bad escape");
			}
			continue;
		}
		if (c >= 0x80) {
			if (utf8() < 0)
				return -1;
			continue;
		}
		p++;
	}
	return fail("unterminated string");
}

static int digits(void)
{
	const unsigned char *s = p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p > s ? 0 : fail("digit expected");
}

static int number(void)
{
	if (*p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (digits() < 0)
		return -1;
	if (p < end && *p == '.') {
		p++;
		if (digits() < 0)
			return -1;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (digits() < 0)
			return -1;
	}
	return 0;
}

static int container(int depth, char close, int object)
{
	p++;
	ws();
	if (p < end && *p == close) {
		p++;
		return 0;
	}
	for (;;) {
		ws();
		if (object) {
			if (p >= end || *p != '"')
				return fail("object key expected");
			if (string() < 0)
				return -1;
			ws();
			if (p >= end || *p != ':')
				return fail("':' expected");
			p++;
		}
		if (value(depth + 1) < 0)
			return -1;
		ws();
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == close) {
			p++;
			return 0;
		}
		return fail(object ? "',' or '}' expected" : "',' or ']' expected");
	}
}

static int value(int depth)
{
	if (depth > 512)
		return fail("nested too deeply");
	ws();
	if (p >= end)
		return fail("value expected");
	switch (*p) {
	case '{':
		return container(depth, '}', 1);
	case '[':
		return container(depth, ']', 0);
	case '"':
		return string();
	case 't':
		return lit("true");
	case 'f':
		return lit("false");
	case 'n':
		return lit("null");
	default:
		if (*p == '-' || (*p >= '0' && *p <= '9'))
			return number();
		return fail("value expected");
	}
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned long lineno = 0, objects = 0;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		lineno++;
		if (n == 1 && line[0] == '\n')
			continue;
		objects++;
		const unsigned char *start = (const unsigned char *)line;
		p = start;
		end = start + n;
		why = NULL;
		if (line[n - 1] != '\n') {
			why = "no newline at the end of the line (a partial record?)";
		} else {
			end--;
			ws();
			if (p >= end || *p != '{')
				fail(p >= end ? "empty line" : "not an object");
			else if (value(0) == 0) {
				ws();
				if (p != end)
					fail("garbage after the object");
			}
		}
		if (why) {
			printf("line %lu, byte %ld: %s\n", lineno, (long)(p - start) + 1, why);
			free(line);
			return 1;
		}
	}
	free(line);
	if (!objects) {
		printf("no lines\n");
		return 1;
	}
	printf("%lu lines ok\n", objects);
	return 0;
}
