/*
 * fsproto.h - the fileserve protocol's messages (docs/protocol.md), parsed
 * and formatted in one place: the requests a client sends, the replies a
 * server gives (OK and ERR forms), the listing lines after an LS reply and
 * the SUM trailer after a transfer.  Each message is the payload of one
 * frame (frame.h); a parser takes that payload as it came and returns
 * views into it, allocating nothing; a formatter appends one whole frame
 * to a buffer (buf.h).
 *
 * Parsers return 0, or -1 for a malformed message: a NUL byte anywhere,
 * an unknown verb, a number that is missing, signed where it may not be,
 * out of range or followed by anything but a space or the end.
 * Formatters return 0, or -1 with errno ENOBUFS/ENOMEM from the buffer
 * (which is then unchanged) or EMSGSIZE past SK_FS_CTLMAX.
 *
 * Adding a message (the directory transfer's manifest, next): one more
 * enum sk_fs_verb for its request (parsed in sk_fs_parse, formatted in
 * sk_fs_req_format), one more enum sk_fs_kind for its reply, with its
 * fields in struct sk_fs_reply (a manifest is "OK <n>" followed by n
 * frames of another kind, as LS is followed by SK_FS_R_ENTRY lines: an
 * entry kind carrying a relative path instead of a name), and one case
 * in each of parse_ok()/format_ok() in fsproto.c.  Nothing else changes:
 * the ERR form and the frame limits are shared by every kind.
 */
#ifndef SOCKKIT_FSPROTO_H
#define SOCKKIT_FSPROTO_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <sockkit/buf.h>

#define SK_FS_VERSION	1
#define SK_FS_CTLMAX	65536		/* a control frame, at most */
#define SK_FS_ERRPATH	1024		/* a path quoted in an ERR, cut */
#define SK_FS_SUMHEX	16		/* XXH64 as lowercase hex */

/* Requests, client to server. */
enum sk_fs_verb {
	SK_FS_HELLO,		/* "HELLO <version>": num */
	SK_FS_LS,		/* "LS <path>" */
	SK_FS_STAT,		/* "STAT <path>" */
	SK_FS_GET,		/* "GET <offset> <path>": num, path */
	SK_FS_PUT,		/* "PUT <size> <path>": num, path */
	SK_FS_SUM		/* "SUM <hex>": arg is the hex */
};

struct sk_fs_req {
	enum sk_fs_verb	 verb;
	long long	 num;		/* HELLO, GET, PUT: >= 0 */
	const char	*arg;		/* the path (or hex); not terminated */
	size_t		 arg_len;
};

/*
 * One fileserve request: 0, or -1 for a NUL byte, an unknown verb, or a
 * number that is missing, negative or out of range.  A SUM's hex is not
 * checked here (the server answers a bad one as a mismatch).
 */
int	sk_fs_parse(const uint8_t *p, size_t n, struct sk_fs_req *req);

/* Append req as one frame (num where the verb has one, arg where it has
 * a path or hex): 0, or -1 as above. */
int	sk_fs_req_format(struct sk_buf *out, const struct sk_fs_req *req);

/*
 * Replies, server to client.  Which form is valid depends on what was
 * asked, so the parser is told the kind it expects.
 */
enum sk_fs_kind {
	SK_FS_R_HELLO,		/* "OK <version>": num */
	SK_FS_R_STAT,		/* "OK <type> <size> <mtime>" */
	SK_FS_R_LS,		/* "OK <n>": num, n SK_FS_R_ENTRY follow */
	SK_FS_R_GET,		/* "OK <size> <mtime>", then the bytes */
	SK_FS_R_PUT,		/* "OK <offset>": num */
	SK_FS_R_DONE,		/* "OK": an upload's SUM matched */
	SK_FS_R_ENTRY,		/* "<type> <size> <mtime> <name>": a listing
				   line; it has no ERR form */
	SK_FS_R_SUM		/* "SUM <hex>": sum; the trailer of a GET */
};

struct sk_fs_reply {
	enum sk_fs_kind	 kind;
	int		 err;		/* 0: the OK form; else an ERR's code */
	char		 type;		/* STAT, ENTRY: f, d, l or o */
	long long	 num;		/* HELLO, LS, PUT: >= 0 */
	long long	 size;		/* STAT, GET, ENTRY: >= 0 */
	long long	 mtime;		/* STAT, GET, ENTRY: may be negative */
	uint64_t	 sum;		/* SUM */
	const char	*text;		/* ERR: the message; ENTRY: the name */
	size_t		 text_len;	/* (not terminated) */
};

/*
 * One reply of the given kind: 0 with r filled (r->err nonzero for
 * "ERR <code> <text>", code 100-599, accepted for every kind but
 * SK_FS_R_ENTRY), or -1 when malformed; then r->err is -1 when the verb
 * itself is not one of the kind's ("an unexpected reply"), 0 when a
 * field is bad.  A listing line's name is at least one byte.
 */
int	sk_fs_parse_reply(const uint8_t *p, size_t n, enum sk_fs_kind kind,
	    struct sk_fs_reply *r);

/* Append r (its kind's OK form, or ERR when r->err) as one frame: 0, or
 * -1 as above (EINVAL: no such kind). */
int	sk_fs_reply_format(struct sk_buf *out, const struct sk_fs_reply *r);

/*
 * Append "ERR <code> <path>: <msg>", the path cut at SK_FS_ERRPATH bytes
 * with "...", or "ERR <code> <msg>" when path is NULL.  (The server names
 * the top "." in its requests' own words; an empty path stays empty.)
 * 0, or -1 as above.
 */
int	sk_fs_err_format(struct sk_buf *out, int code, const char *path,
	    const char *msg);

/* A listing's type for a file mode: f, d, l or o. */
char	sk_fs_type(mode_t mode);

/* XXH64 as the protocol writes it: 16 lowercase hex digits and a NUL. */
void	sk_fs_sum_hex(char out[SK_FS_SUMHEX + 1], uint64_t sum);

/* Exactly 16 lowercase hex digits at p[0..n) into *sum: 0, or -1. */
int	sk_fs_sum_parse(const char *p, size_t n, uint64_t *sum);

#endif /* SOCKKIT_FSPROTO_H */
