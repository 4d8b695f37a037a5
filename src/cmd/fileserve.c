/*
 * fileserve.c - sockkit fileserve: verified, resumable file transfer.
 * `serve` shares a directory with many clients at once from one event
 * loop (fileserve_serve.c); `get`, `put` and `ls` are its clients
 * (fileserve_client.c).  The protocol is in docs/protocol.md: framed text
 * requests, raw data, and an XXH64 of the whole file at the end of every
 * transfer.  Both sides write to a temporary name and rename only once
 * the checksum matches, so a killed transfer never leaves a truncated
 * file under the final name, and the next one resumes where it stopped.
 * This file reads the command line and dispatches.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netdb.h>

#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/net.h>
#include <sockkit/text.h>

#include "fileserve.h"

static const char usage_text[] =
"usage: sockkit fileserve serve [-46v] [-d DIR] [--allow-upload]\n"
"           [--announce[=NAME]] [--iface NAME] [--idle-timeout SECONDS]\n"
"           [--backend NAME] [ADDRESS] PORT\n"
"       sockkit fileserve get [-46v] HOST PORT REMOTE_PATH [-o LOCAL]\n"
"           [--no-resume] [-w SECONDS]\n"
"       sockkit fileserve put [-46v] HOST PORT LOCAL [REMOTE_PATH]\n"
"           [-w SECONDS]\n"
"       sockkit fileserve ls [-46] HOST PORT [REMOTE_DIR] [-w SECONDS]\n"
"           [--json]\n"
"\n"
"serve: share DIR (default .) read-only, or writable with --allow-upload;\n"
"nothing outside DIR is ever served or written.\n"
"get: download REMOTE_PATH to LOCAL (default: its basename; - for stdout;\n"
"a directory: the basename inside it) through LOCAL.sockkit-part, resuming\n"
"a partial one, verified end to end; a device or FIFO is written into as\n"
"stdout is, and a symbolic link through, onto the file it leads to.\n"
"put: upload LOCAL (to a remote directory: inside it), resuming a partial\n"
"upload, verified; the server renames it into place only once the checksum\n"
"matches.\n"
"ls: names, sizes, times and types in REMOTE_DIR.\n"
"\n"
"options:\n"
"  -d, --dir DIR            serve: the directory shared (default .)\n"
"      --allow-upload       serve: accept put\n"
"      --announce[=NAME]    serve: announce NAME (default fileserve) on the\n"
"                           LAN every second, for broadcast discover\n"
"      --iface NAME         serve: the interface to announce on\n"
"      --idle-timeout SECS  serve: close a connection where nothing has\n"
"                           moved for SECS (default 300; 0: never)\n"
"  -o, --output LOCAL       get: the local name or directory; - for stdout\n"
"      --no-resume          get: start over, ignoring a partial file\n"
"  -w SECONDS               clients: connect and idle timeout (default 30)\n"
"      --json               ls: one JSON object per entry\n"
"  -4, -6                   IPv4 or IPv6 only\n"
"      --backend NAME       serve: event loop: select, poll or epoll\n"
"  -v                       serve: log requests; clients: a final summary\n"
"  -h, --help               this text\n"
"\n"
"Progress goes to stderr when it is a terminal.  Exit 0 on success, 1 when\n"
"a transfer fails (refused, not found, checksum mismatch), 2 on a usage\n"
"error.\n";

enum {
	OPT_UPLOAD = OPT_FIRST_CMD,
	OPT_NO_RESUME,
	OPT_ANNOUNCE,
	OPT_IFACE,
	OPT_IDLE_TIMEOUT
};

/*
 * serve's operands as python's and http's habits give them: a number
 * where the address goes ("serve 8000 www" would listen on 0.0.31.64,
 * port 80), or the directory shared where the address or the port goes
 * (it goes after -d).  1 after a usage error saying so, else 0.
 */
static int
serve_operands(const struct fs_opts *o, int argc, char **argv)
{
	struct addrinfo	*res;
	struct stat	 st;
	const char	*a;
	int		 i, port, dir;

	for (i = 0; i < argc; i++) {
		a = argv[i];
		port = i == argc - 1;
		dir = stat(a, &st) == 0 && S_ISDIR(st.st_mode);
		if (!port && *a != '\0' && a[strspn(a, "0123456789")] ==
		    '\0') {
			cmd_usage_err(CMD, "'%s' is not an address: give one "
			    "PORT, or ADDRESS PORT", a);
			return 1;
		}
		if (!dir || (port && a[strspn(a, "0123456789")] == '\0'))
			continue;
		if (!port && strchr(a, '/') == NULL && sk_net_resolve(NULL, a,
		    "0", o->c.family, SOCK_STREAM, 1, &res) == 0) {
			freeaddrinfo(res);
			continue;
		}
		cmd_usage_err(CMD, "'%s' is a directory, not %s: share it with "
		    "'-d %s'", a, port ? "a port" : "an address", a);
		return 1;
	}
	return 0;
}

static int
parse_args(int argc, char **argv, struct fs_opts *o)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "dir",	  required_argument, NULL, 'd' },
		{ "allow-upload", no_argument,	     NULL, OPT_UPLOAD },
		{ "output",	  required_argument, NULL, 'o' },
		{ "no-resume",	  no_argument,	     NULL, OPT_NO_RESUME },
		{ "announce",	  optional_argument, NULL, OPT_ANNOUNCE },
		{ "iface",	  required_argument, NULL, OPT_IFACE },
		{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
		{ NULL,		  0,		     NULL, 0 }
	};
	static const char *const actions[] = { "serve", "get", "put", "ls" };
	const char	*serve_only = NULL, *get_only = NULL;
	const char	*client_only = NULL, *what, *with, *empty;
	int		 ch, rc, i, max;

	memset(o, 0, sizeof(*o));
	o->dir = ".";
	o->wait_ms = 30000;
	o->idle_ms = 300000;
	optind = 1;
	opterr = 0;
	cmd_longopts(longopts);
	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS "d:o:w:",
	    longopts, NULL)) != -1) {
		if ((rc = cmd_common(CMD, &o->c, ch, argv)) == -1)
			return -1;
		if (rc == 1)
			continue;
		switch (ch) {
		case 'd':
			o->dir = optarg;
			serve_only = "-d";
			break;
		case 'o':
			o->output = optarg;
			get_only = "-o";
			if (optarg == NULL || *optarg == '\0') {
				cmd_usage_err(CMD, "-o: an empty name");
				return -1;
			}
			break;
		case 'w':
			if (cmd_seconds(CMD, "-w", optarg, 1, 86400000,
			    &o->wait_ms) == -1)
				return -1;
			client_only = "-w";
			break;
		case OPT_UPLOAD:
			o->upload = 1;
			serve_only = "--allow-upload";
			break;
		case OPT_NO_RESUME:
			o->no_resume = 1;
			get_only = "--no-resume";
			break;
		case OPT_ANNOUNCE:
			serve_only = "--announce";
			o->announce = optarg != NULL ? optarg : "fileserve";
			if (cmd_announce_name(CMD, "--announce",
			    o->announce) == -1)
				return -1;
			break;
		case OPT_IFACE:
			o->iface = optarg;
			serve_only = "--iface";
			break;
		case OPT_IDLE_TIMEOUT:
			if (cmd_seconds(CMD, "--idle-timeout", optarg, 0,
			    86400000, &o->idle_ms) == -1)
				return -1;
			serve_only = "--idle-timeout";
			break;
		}
	}
	if (o->c.help)
		return 0;
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		cmd_usage_err(CMD, "missing serve, get, put or ls");
		return -1;
	}
	for (i = 0; i < 4 && strcmp(argv[0], actions[i]) != 0; i++)
		;
	if (i == 4) {
		cmd_usage_err(CMD, "unknown action '%s' (serve, get, put, ls)",
		    argv[0]);
		return -1;
	}
	o->action = (enum action)i;
	argc--;
	argv++;
	/* An option of another action is a mistake, not to be ignored. */
	what = o->action != A_SERVE ? serve_only : client_only;
	with = o->action != A_SERVE ? "serve" : "get, put and ls";
	if (what == NULL && o->action != A_GET && get_only != NULL) {
		what = get_only;
		with = "get";
	}
	if (what != NULL) {
		cmd_usage_err(CMD, "%s goes with %s", what, with);
		return -1;
	}
	/*
	 * The operands each action takes, at most: an extra one is a
	 * mistake (a second file for get, a glob that matched two), never
	 * something to drop silently.
	 */
	max = o->action == A_SERVE ? 2 : o->action == A_PUT ? 4 : 3;
	if (argc > max) {
		cmd_usage_err(CMD, "too many arguments: '%s'", argv[max]);
		return -1;
	}
	if (o->action == A_SERVE) {
		empty = o->dir == NULL || *o->dir == '\0' ? "-d DIR" :
		    o->iface != NULL && *o->iface == '\0' ? "--iface NAME" :
		    NULL;
		if (empty != NULL) {
			cmd_usage_err(CMD, "an empty %s", empty);
			return -1;
		}
		if (serve_operands(o, argc, argv))
			return -1;
		return cmd_endpoint(CMD, argc, argv, 1, NULL, &o->host,
		    &o->port);
	}
	if (argc >= 1 && cmd_colon_hint(CMD, argv[0], 0) == -1)
		return -1;
	if (argc < 2 + (o->action != A_LS)) {
		cmd_usage_err(CMD, o->action == A_GET ?
		    "missing HOST PORT REMOTE_PATH" : o->action == A_PUT ?
		    "missing HOST PORT LOCAL" : "missing HOST PORT");
		return -1;
	}
	if (cmd_endpoint(CMD, 2, argv, 0, NULL, &o->host, &o->port) == -1)
		return -1;
	if (o->action == A_PUT) {
		o->local = argv[2];
		o->path = argc > 3 ? argv[3] : NULL;
	} else
		o->path = argc > 2 ? argv[2] : ".";
	/* "" is no path: the server would take it for its root, or "/". */
	if (o->path != NULL && *o->path == '\0') {
		cmd_usage_err(CMD, "an empty %s", o->action == A_LS ?
		    "REMOTE_DIR" : "REMOTE_PATH");
		return -1;
	}
	if (o->c.json && o->action != A_LS) {
		cmd_usage_err(CMD, "--json goes with ls");
		return -1;
	}
	return 0;
}

/*
 * Peer bytes (a requested path, a listed name, an error's text) as they
 * may appear in a message on a terminal or in a log: control bytes and
 * broken UTF-8 as \xHH, '\' as "\\" so that the text is unambiguous,
 * cut with "..." to fit cap (>= 8) bytes.  Returns out.
 */
const char *
fs_shown(char *out, size_t cap, const void *p, size_t n)
{
	if (sk_text_escape(out, cap - 3, p, n, SK_TEXT_BACKSLASH) < n)
		strcat(out, "...");
	return out;
}

int
cmd_fileserve(int argc, char **argv)
{
	struct fs_opts	o;

	if (parse_args(argc, argv, &o) == -1)
		return EXIT_USAGE;
	if (o.c.help)
		return cmd_help(usage_text);
	return o.action == A_SERVE ? fs_serve(&o) : fs_client(&o);
}
