/*
 * msg.h - chat lines (tcp-server --chat), parsed without allocating: the
 * bytes of one line, as they came, and views into them.  (fileserve's
 * messages are in fsproto.h.)
 */
#ifndef SOCKKIT_MSG_H
#define SOCKKIT_MSG_H

#include <stddef.h>
#include <stdint.h>

enum sk_chat_kind {
	SK_CHAT_SAY,		/* a line for everyone else */
	SK_CHAT_NICK,		/* "/nick NAME": *arg is NAME (maybe empty) */
	SK_CHAT_WHO,		/* "/who" */
	SK_CHAT_QUIT		/* "/quit" */
};

enum sk_chat_kind	sk_chat_parse(const uint8_t *p, size_t n,
			    const uint8_t **arg, size_t *argn);

/*
 * A nick: 1..max bytes of valid UTF-8, none of them space, '<', '>' or a
 * control (C0, DEL, C1, bidi: see text.h), and no character that shows
 * nothing or a blank (default-ignorable and format characters, Unicode
 * spaces, Hangul fillers).  Returns 1 or 0, never -1.
 */
int			sk_chat_nick_ok(const uint8_t *p, size_t n,
			    size_t max);

/* Whether two nicks are the same one (ASCII letters in either case): 1 or
 * 0. */
int			sk_chat_nick_same(const uint8_t *a, size_t an,
			    const uint8_t *b, size_t bn);

/* Copy text, control bytes but tab made '?' (sk_text_clean): what chat
 * relays. */
void			sk_chat_clean(const uint8_t *p, size_t n,
			    uint8_t *out);

#endif /* SOCKKIT_MSG_H */
