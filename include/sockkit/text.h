/*
 * text.h - bytes from a peer made safe to show on a terminal or to write
 * into a log: names in a listing, datagrams, chat lines, request lines.
 *
 * A control is a C0 byte (0x00-0x1f), DEL (0x7f), a C1 control written as
 * UTF-8 (U+0080-U+009F: 0xc2 0x80-0x9f), a Unicode bidi embedding,
 * override or isolate (U+202A-U+202E, U+2066-U+2069: they reorder what
 * others see, "Trojan Source"), or any byte that is not part of a valid
 * UTF-8 sequence (a lone 0x9b is CSI on an 8-bit terminal); each of its
 * bytes is escaped or cleaned.  Valid UTF-8 text other than those passes
 * unchanged.
 */
#ifndef SOCKKIT_TEXT_H
#define SOCKKIT_TEXT_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

/* Lower-case hex digits, indexed by a nibble's value. */
#define SK_TEXT_HEXDIGITS	"0123456789abcdef"

/* Flags for sk_text_escape(). */
#define SK_TEXT_TAB		0x1	/* keep tabs as they are */
#define SK_TEXT_BACKSLASH	0x2	/* write '\' as "\\" (unambiguous) */
#define SK_TEXT_QUOTE		0x4	/* write '"' as "\"" (logs) */

/*
 * Copy p[0..n) into out (cap >= 5 bytes), each control byte as "\xHH",
 * and NUL-terminate it.  Stops before an escape or a character that would
 * not fit whole.  Returns how many bytes of p went in: call again with
 * the rest to stream a long text.
 */
size_t	sk_text_escape(char *out, size_t cap, const uint8_t *p, size_t n,
	    int flags);

/*
 * The same text with each control byte but tab replaced by '?', in place
 * of escaping: out has the length of p (n bytes), as chat relays it.
 */
void	sk_text_clean(const uint8_t *p, size_t n, uint8_t *out);

/* Does p[0..n) hold any control byte (tab counts only without TAB)?
 * 1 or 0. */
int	sk_text_has_ctl(const uint8_t *p, size_t n, int flags);

/* ASCII a-z to A-Z in place; every other byte (UTF-8 too) is kept. */
void	sk_text_upper(uint8_t *p, size_t n);

/* The value of hex digit c (0-9, a-f, A-F): 0..15, or -1. */
int	sk_text_hexval(int c);

/*
 * The first line of p[0..n), a byte parser: returns the bytes consumed
 * through its '\n' and sets *len to the line's length without the '\n'
 * (a '\r' before it is kept: strip it if you want); -2 when p holds no
 * '\n' yet (feed more).  Never -1: every byte belongs to some line.
 */
ssize_t	sk_text_line(const uint8_t *p, size_t n, size_t *len);

#endif /* SOCKKIT_TEXT_H */
