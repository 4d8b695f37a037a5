/*
 * fileserve.h - what the parts of sockkit fileserve share: the options,
 * the protocol's constants (docs/protocol.md) and each part's entry.
 * fileserve.c reads the command line and dispatches; fileserve_serve.c
 * is the event-loop server; fileserve_client.c the blocking clients.
 */
#ifndef SOCKKIT_FILESERVE_H
#define SOCKKIT_FILESERVE_H

#include <sys/types.h>

#include <stddef.h>

#include <sockkit/fsproto.h>
#include <sockkit/hash.h>

#include "cmd.h"

#define CMD		"fileserve"
#define CHUNK		(256 * 1024)
/*
 * Buffers the kernel copies received bytes into are page-aligned: into a
 * malloc'd one (16 bytes off) the copy ran at 1.5 GB/s here, 2.4 aligned.
 */
#define PAGE_ALIGN	4096
#define WBUFS		8		/* get: CHUNKs queued for writing */
#define PART		".sockkit-part"
#define SHOWMAX		512		/* peer bytes shown in a message */
#define DRAIN_MAX	64		/* reads taken from a gone writer */
#define UPCHUNK		(1024 * 1024)	/* put: spliced at a time */

enum action { A_SERVE, A_GET, A_PUT, A_LS };

struct fs_opts {
	struct common_opts	 c;
	enum action		 action;
	const char		*dir;
	int			 upload;
	const char		*announce;	/* a name, or NULL */
	const char		*iface;
	const char		*output;
	int			 no_resume;
	long long		 wait_ms;	/* clients: -w */
	long long		 idle_ms;	/* serve: 0 never */
	const char		*host;
	const char		*port;
	const char		*path;		/* remote path */
	const char		*local;		/* put: the local file */
};

/* serve: the server, until a signal stops it.  The exit status. */
int		 fs_serve(const struct fs_opts *o);

/* get, put or ls, as o->action says.  The exit status. */
int		 fs_client(const struct fs_opts *o);

/*
 * Peer bytes (a requested path, a listed name, an error's text) as they
 * may appear in a message on a terminal or in a log: control bytes and
 * broken UTF-8 as \xHH, '\' as "\\" so that the text is unambiguous,
 * cut with "..." to fit cap (>= 8) bytes.  Returns out.
 */
const char	*fs_shown(char *out, size_t cap, const void *p, size_t n);

/*
 * Hash bytes [at, at + len) of fd, read through buf (CHUNK bytes): 0, or
 * -1 with errno (EIO: the file is shorter).  For bytes just written or
 * about to be sent, this copy into a buffer that stays in the CPU's cache
 * costs less than sk_hash_file()'s mapping: populating and unmapping a
 * mapping of each piece took half of put's client time, the copy a third
 * of that.
 */
int		 fs_hash_pread(struct sk_hash *h, int fd, off_t at, off_t len,
		    uint8_t *buf);

#endif /* SOCKKIT_FILESERVE_H */
