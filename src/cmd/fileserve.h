/*
 * fileserve.h - what the parts of sockkit fileserve share: the options,
 * the protocol's constants (docs/protocol.md) and each part's entry.
 * fileserve.c reads the command line and dispatches; fileserve_serve.c
 * is the event-loop server; fileserve_client.c the blocking clients.
 */
#ifndef SOCKKIT_FILESERVE_H
#define SOCKKIT_FILESERVE_H

#include <stddef.h>

#include "cmd.h"

#define CMD		"fileserve"
#define VERSION		1
#define CTLMAX		65536
#define CHUNK		(256 * 1024)
/*
 * Buffers the kernel copies received bytes into are page-aligned: into a
 * malloc'd one (16 bytes off) the copy ran at 1.5 GB/s here, 2.4 aligned.
 */
#define PAGE_ALIGN	4096
#define WBUFS		8		/* get: CHUNKs queued for writing */
#define PART		".sockkit-part"

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
	long long		 wait_ms;	/* client: -w */
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

/* s made safe to show (sk_text_escape, backslashes doubled), in buf. */
const char	*fs_shown(const char *s, char *buf, size_t size);

#endif /* SOCKKIT_FILESERVE_H */
