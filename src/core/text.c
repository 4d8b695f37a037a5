/*
 * text.c - peer bytes made safe for terminals and logs (see text.h).
 */
#include <string.h>

#include <sockkit/text.h>

/*
 * The length of the valid UTF-8 character at p (1 for ASCII), or 0 when
 * p does not start one: a stray continuation byte, an overlong form, a
 * surrogate, a code point past U+10FFFF, or a sequence cut short.
 */
static size_t
utf8_len(const uint8_t *p, size_t n)
{
	size_t	len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((p[0] == 0xe0 && p[1] < 0xa0) ||	/* overlong */
	    (p[0] == 0xed && p[1] >= 0xa0) ||	/* surrogates */
	    (p[0] == 0xf0 && p[1] < 0x90) ||	/* overlong */
	    (p[0] == 0xf4 && p[1] >= 0x90))	/* past U+10FFFF */
		return 0;
	return len;
}

/*
 * At p: the length of a printable character (> 0), or 0 for a control
 * byte.  A C1 control in UTF-8 counts as two control bytes, a bidi
 * control as three.
 */
static size_t
printable(const uint8_t *p, size_t n, int flags)
{
	size_t	len;

	if (p[0] == '\t')
		return (flags & SK_TEXT_TAB) ? 1 : 0;
	if (p[0] < 0x20 || p[0] == 0x7f)
		return 0;
	if ((len = utf8_len(p, n)) == 2 && p[0] == 0xc2 && p[1] < 0xa0)
		return 0;
	/* Bidi embeddings, overrides and isolates (U+202A-U+202E,
	 * U+2066-U+2069): they reorder what follows on the screen. */
	if (len == 3 && p[0] == 0xe2 && ((p[1] == 0x80 && p[2] >= 0xaa &&
	    p[2] <= 0xae) || (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)))
		return 0;
	return len;
}

size_t
sk_text_escape(char *out, size_t cap, const uint8_t *p, size_t n, int flags)
{
	size_t	i = 0, o = 0, len;

	while (i < n) {
		len = printable(p + i, n - i, flags);
		if (len == 1 && ((p[i] == '\\' && (flags & SK_TEXT_BACKSLASH)) ||
		    (p[i] == '"' && (flags & SK_TEXT_QUOTE)))) {
			if (o + 2 >= cap)
				break;
			out[o++] = '\\';
			out[o++] = (char)p[i++];
			continue;
		}
		if (len == 0) {
			if (o + 4 >= cap)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = SK_TEXT_HEXDIGITS[p[i] >> 4];
			out[o++] = SK_TEXT_HEXDIGITS[p[i] & 0xf];
			i++;
			continue;
		}
		if (o + len >= cap)
			break;
		memcpy(out + o, p + i, len);
		o += len;
		i += len;
	}
	out[o] = '\0';
	return i;
}

void
sk_text_clean(const uint8_t *p, size_t n, uint8_t *out)
{
	size_t	i = 0, len;

	while (i < n) {
		if ((len = printable(p + i, n - i, SK_TEXT_TAB)) == 0) {
			out[i++] = '?';
			continue;
		}
		memcpy(out + i, p + i, len);
		i += len;
	}
}

int
sk_text_has_ctl(const uint8_t *p, size_t n, int flags)
{
	size_t	i = 0, len;

	while (i < n) {
		if ((len = printable(p + i, n - i, flags)) == 0)
			return 1;
		i += len;
	}
	return 0;
}

void
sk_text_upper(uint8_t *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (p[i] >= 'a' && p[i] <= 'z')
			p[i] = (uint8_t)(p[i] - ('a' - 'A'));
}

int
sk_text_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

ssize_t
sk_text_line(const uint8_t *p, size_t n, size_t *len)
{
	const uint8_t	*nl;

	if (n == 0 || (nl = memchr(p, '\n', n)) == NULL)
		return -2;
	*len = (size_t)(nl - p);
	return (ssize_t)(*len + 1);
}
