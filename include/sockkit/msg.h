/*
 * msg.h - the small line protocols sockkit's servers speak, parsed without
 * allocating: chat lines (tcp-server --chat) and fileserve requests
 * (docs/protocol.md).  Both take the bytes of one line or frame, as they
 * came, and return views into them.
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
 * spaces, Hangul fillers).
 */
int			sk_chat_nick_ok(const uint8_t *p, size_t n,
			    size_t max);

/* Whether two nicks are the same one: ASCII letters in either case. */
int			sk_chat_nick_same(const uint8_t *a, size_t an,
			    const uint8_t *b, size_t bn);

/* Copy text, control bytes but tab made '?' (sk_text_clean): what chat
 * relays. */
void			sk_chat_clean(const uint8_t *p, size_t n,
			    uint8_t *out);

enum sk_fs_verb {
	SK_FS_HELLO,		/* "HELLO <version>": num */
	SK_FS_LS,		/* "LS <path>" */
	SK_FS_STAT,		/* "STAT <path>" */
	SK_FS_GET,		/* "GET <offset> <path>": num, path */
	SK_FS_PUT,		/* "PUT <size> <path>": num, path */
	SK_FS_SUM		/* "SUM <hex>": path is the hex */
};

struct sk_fs_req {
	enum sk_fs_verb	 verb;
	long long	 num;		/* HELLO, GET, PUT: >= 0 */
	const char	*arg;		/* the path (or hex); not terminated */
	size_t		 arg_len;
};

/*
 * One fileserve request: 0, or -1 for a NUL byte, an unknown verb, or a
 * number that is missing, negative or out of range.
 */
int	sk_fs_parse(const uint8_t *p, size_t n, struct sk_fs_req *req);

#endif /* SOCKKIT_MSG_H */
