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
#include <getopt.h>
#include <stdint.h>
#include <string.h>

#include <sockkit/net.h>
#include <sockkit/text.h>

#include "fileserve.h"

static const char usage_text[] =
"usage: sockkit fileserve serve [-d DIR] [--allow-upload] [ADDRESS] PORT\n"
"       sockkit fileserve get HOST PORT REMOTE_PATH [-o LOCAL] [--no-resume]\n"
"       sockkit fileserve put HOST PORT LOCAL [REMOTE_PATH]\n"
"       sockkit fileserve ls HOST PORT [REMOTE_DIR] [--json]\n"
"\n"
"serve: share DIR (default .) read-only, or writable with --allow-upload;\n"
"nothing outside DIR is ever served or written.\n"
"get: download REMOTE_PATH to LOCAL (default: its basename; - for stdout;\n"
"a directory: its basename in there) through LOCAL.sockkit-part, resuming\n"
"a partial one, verified end to end.\n"
"put: upload LOCAL, resuming a partial upload, verified; the server renames\n"
"it into place only once the checksum matches.\n"
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
"  -o, --output LOCAL       get: the local name, or - for stdout\n"
"      --no-resume          get: start over, ignoring a partial file\n"
"  -w SECONDS               client: connect and idle timeout (default 30;\n"
"                           0.5 is fine)\n"
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

/* Which actions each option goes with: given elsewhere, a usage error. */
#define ON_SERVE	(1 << A_SERVE)
#define ON_GET		(1 << A_GET)
#define ON_CLIENTS	(1 << A_GET | 1 << A_PUT | 1 << A_LS)
static const struct {
	const char	*name;
	const char	*which;
	int		 ch;
	int		 actions;
} only_on[] = {
	{ "-d",			"serve",	'd',		  ON_SERVE },
	{ "--allow-upload",	"serve",	OPT_UPLOAD,	  ON_SERVE },
	{ "--announce",		"serve",	OPT_ANNOUNCE,	  ON_SERVE },
	{ "--iface",		"serve",	OPT_IFACE,	  ON_SERVE },
	{ "--idle-timeout",	"serve",	OPT_IDLE_TIMEOUT, ON_SERVE },
	{ "--backend",		"serve",	OPT_BACKEND,	  ON_SERVE },
	{ "-o",			"get",		'o',		  ON_GET },
	{ "--no-resume",	"get",		OPT_NO_RESUME,	  ON_GET },
	{ "-w",			"get, put and ls", 'w',		  ON_CLIENTS },
	{ "--json",		"ls",		OPT_JSON,	  1 << A_LS },
};
#define NONLY	(sizeof(only_on) / sizeof(only_on[0]))

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
	int	ch, rc, i, min, max, given[NONLY] = { 0 };
	size_t	k;

	memset(o, 0, sizeof(*o));
	o->dir = ".";
	o->wait_ms = 30000;
	o->idle_ms = 300000;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS "d:o:w:",
	    longopts, NULL)) != -1) {
		for (k = 0; k < NONLY; k++)
			if (only_on[k].ch == ch)
				given[k] = 1;
		if ((rc = cmd_common(CMD, &o->c, ch, argv)) == -1)
			return -1;
		if (rc == 1)
			continue;
		switch (ch) {
		case 'd':
			o->dir = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'w':
			if (cmd_seconds(CMD, "-w", optarg, 1, 86400000,
			    &o->wait_ms) == -1)
				return -1;
			break;
		case OPT_UPLOAD:
			o->upload = 1;
			break;
		case OPT_NO_RESUME:
			o->no_resume = 1;
			break;
		case OPT_ANNOUNCE:
			o->announce = optarg != NULL ? optarg : "fileserve";
			if (*o->announce == '\0' || strlen(o->announce) > 64 ||
			    strpbrk(o->announce, " \t\r\n") != NULL) {
				cmd_usage_err(CMD, "--announce: a NAME is 1-64 "
				    "characters, no spaces");
				return -1;
			}
			break;
		case OPT_IFACE:
			o->iface = optarg;
			break;
		case OPT_IDLE_TIMEOUT:
			if (cmd_seconds(CMD, "--idle-timeout", optarg, 0,
			    86400000, &o->idle_ms) == -1)
				return -1;
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
	for (k = 0; k < NONLY; k++)
		if (given[k] && !(only_on[k].actions & (1 << o->action))) {
			cmd_usage_err(CMD, "%s goes with %s, not %s",
			    only_on[k].name, only_on[k].which, actions[i]);
			return -1;
		}
	if (o->iface != NULL && o->announce == NULL) {
		cmd_usage_err(CMD, "--iface goes with --announce");
		return -1;
	}
	if (o->action == A_SERVE)
		return cmd_endpoint(CMD, argc, argv, 1, NULL, &o->host,
		    &o->port);
	/* get: HOST PORT PATH; put: HOST PORT LOCAL [PATH]; ls: HOST PORT
	 * [DIR].  Anything more is a usage error, never silently dropped. */
	min = o->action == A_LS ? 2 : 3;
	max = o->action == A_GET ? 3 : o->action == A_PUT ? 4 : 3;
	if (argc < min) {
		cmd_usage_err(CMD, o->action == A_GET ?
		    "missing HOST PORT REMOTE_PATH" : o->action == A_PUT ?
		    "missing HOST PORT LOCAL" : "missing HOST PORT");
		return -1;
	}
	if (argc > max) {
		cmd_usage_err(CMD, "%s takes %s: '%s' is one too many",
		    actions[o->action], o->action == A_GET ?
		    "one REMOTE_PATH (-o names the local file)" :
		    o->action == A_PUT ? "one LOCAL and one REMOTE_PATH" :
		    "one REMOTE_DIR", argv[max]);
		return -1;
	}
	if (cmd_endpoint(CMD, 2, argv, 0, NULL, &o->host, &o->port) == -1)
		return -1;
	if (o->action == A_PUT) {
		o->local = argv[2];
		o->path = argc > 3 ? argv[3] : NULL;
	} else
		o->path = argc > 2 ? argv[2] : ".";
	return 0;
}

const char *
fs_shown(const char *s, char *buf, size_t size)
{
	(void)sk_text_escape(buf, size, (const uint8_t *)s, strlen(s),
	    SK_TEXT_BACKSLASH);
	return buf;
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
