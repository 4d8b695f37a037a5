/*
 * http.c - sockkit http: a static HTTP/1.1 file server for a directory.
 * GET and HEAD, keep-alive and pipelining, Range, conditional requests
 * (ETag, If-None-Match, If-Modified-Since), index.html or a listing for
 * directories, a Common Log Format access log.  One event loop serves
 * every client: heads are parsed by the core (sk_http_parse_request),
 * headers and small bodies leave in one write, larger bodies with
 * sendfile.  Nothing outside DIR is served: paths are decoded, checked
 * and resolved by the core (sk_path_*), symbolic links out of DIR are
 * refused unless --follow-symlinks, and only regular files are opened
 * for reading (nonblocking, so a FIFO can never stall the server).
 * Slow clients are dropped: a head must arrive within --head-timeout, an
 * idle keep-alive connection closes after --keepalive-timeout.
 *
 * This file reads the command line and holds the content-type table;
 * http.h says where the rest is.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netdb.h>

#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <sockkit/net.h>

#include "http.h"

static const char usage_text[] =
"usage: sockkit http [-46qv] [-d DIR] [-b ADDRESS] [--log FILE]\n"
"           [--follow-symlinks] [--max-clients N] [--head-timeout SECONDS]\n"
"           [--keepalive-timeout SECONDS] [--send-timeout SECONDS]\n"
"           [--backend NAME] [ADDRESS] [PORT]\n"
"\n"
"Serve DIR (default .) over HTTP/1.1 on PORT (default 8000): GET and HEAD,\n"
"keep-alive, Range, ETag and If-Modified-Since (304), index.html or a\n"
"listing for directories.  Nothing outside DIR is served.  After the\n"
"listening line comes a URL to open; every response is logged.\n"
"\n"
"options:\n"
"  -d, --dir DIR              the directory served (default .; also\n"
"                             --directory, as python's)\n"
"  -b, --bind ADDRESS         the address, as python's -b (then the one\n"
"                             operand is the port)\n"
"      --log FILE             the access log (Common Log Format) goes to\n"
"                             FILE instead of stderr\n"
"  -q, --quiet                no access log and no URL line\n"
"      --follow-symlinks      serve symbolic links that lead out of DIR\n"
"      --max-clients N        connections at once, at most (default\n"
"                             10000); more wait in the listen queue while\n"
"                             it has room, or get 503 when descriptors\n"
"                             (ulimit -n) run out first\n"
"      --head-timeout SECONDS a request head must arrive within this\n"
"                             (default 20; decimals allowed)\n"
"      --keepalive-timeout SECONDS\n"
"                             close an idle keep-alive connection after\n"
"                             this (default 60; decimals allowed)\n"
"      --send-timeout SECONDS drop a client that takes nothing of the\n"
"                             response for this long (default 60)\n"
"  -4, -6                     IPv4 or IPv6 only\n"
"      --backend NAME         event loop: select, poll or epoll\n"
"  -v                         log connections too\n"
"  -h, --help                 this text\n"
"\n"
"SIGINT or SIGTERM stop it cleanly (exit 128+N; a download under way is\n"
"reset, never ended as if whole); 1 when it cannot listen\n"
"or serve, 2 on a usage error.\n";

enum {
	OPT_LOG = OPT_FIRST_CMD,
	OPT_FOLLOW,
	OPT_MAX_CLIENTS,
	OPT_HEAD_TIMEOUT,
	OPT_KEEPALIVE,
	OPT_SEND_TIMEOUT
};

/*
 * An operand that holds a '/' is a path, never an address or a port (the
 * directory served goes after -d); so is an existing directory whose name
 * is no port (port) or does not resolve (an address).  1 after a usage
 * error saying so, else 0.
 */
static int
path_operand(const struct http_opts *o, const char *a, int port)
{
	struct addrinfo	*res;
	struct stat	 st;
	int		 dir = stat(a, &st) == 0 && S_ISDIR(st.st_mode);

	if (strchr(a, '/') == NULL) {
		if (!dir)
			return 0;
		/* A directory named like a service ("www" is port 80)
		 * was meant to be served, not taken for the port. */
		if (port && a[strspn(a, "0123456789")] == '\0')
			return 0;
		if (!port && sk_net_resolve(NULL, a, "0", o->c.family,
		    SOCK_STREAM, 1, &res) == 0) {
			freeaddrinfo(res);
			return 0;
		}
	}
	if (dir)
		cmd_usage_err(CMD, "'%s' is a directory, not %s: serve it "
		    "with '-d %s'", a, port ? "a port" : "an address", a);
	else
		cmd_usage_err(CMD, "'%s' is not %s (the directory served goes "
		    "after -d)", a, port ? "a port" : "an address");
	return 1;
}

/*
 * One operand "HOST:PORT", "[V6]:PORT" (cmd_colon_hint()) or ":PORT",
 * where sockkit takes the address and the port apart: 1 after a usage
 * error with the form meant, else 0 (a bare IPv6 address has colons too).
 */
static int
colon_operand(const char *a)
{
	if (strrchr(a, ':') == a && a[1] != '\0' &&
	    strspn(a + 1, "0123456789") == strlen(a + 1)) {
		cmd_usage_err(CMD, "'%s': give the port alone: 'sockkit http "
		    "%s' listens on all addresses", a, a + 1);
		return 1;
	}
	return cmd_colon_hint(CMD, a, 1) == -1;
}

/* A numeric address of the other family than -4 or -6 asks for. */
static int
family_conflict(const struct http_opts *o)
{
	unsigned char	 a[16];
	const char	*h = o->host;

	if (h == NULL || o->c.family == AF_UNSPEC)
		return 0;
	if (o->c.family == AF_INET6 && inet_pton(AF_INET, h, a) == 1)
		cmd_usage_err(CMD, "-6 and the IPv4 address '%s' do not go "
		    "together", h);
	else if (o->c.family == AF_INET && strchr(h, ':') != NULL &&
	    inet_pton(AF_INET6, h, a) == 1)
		cmd_usage_err(CMD, "-4 and the IPv6 address '%s' do not go "
		    "together", h);
	else
		return 0;
	return 1;
}

/* --head-timeout, --keepalive-timeout or --send-timeout (ch) SECONDS. */
static int
timeout_arg(struct http_opts *o, int ch, const char *arg)
{
	static const struct {
		const char	*name;
		long long	 max_ms;
	} t[] = {				/* OPT_HEAD_TIMEOUT on */
		{ "--head-timeout",		3600 * 1000 },
		{ "--keepalive-timeout",	86400 * 1000 },
		{ "--send-timeout",		86400 * 1000 },
	};
	long long	*to[] = { &o->head_ms, &o->keepalive_ms, &o->send_ms };
	size_t		 i = (size_t)(ch - OPT_HEAD_TIMEOUT);

	return cmd_seconds(CMD, t[i].name, arg, TIMEOUT_MIN_MS, t[i].max_ms,
	    to[i]);
}

static int
parse_args(int argc, char **argv, struct http_opts *o)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "dir",		required_argument, NULL, 'd' },
		{ "directory",		required_argument, NULL, 'd' },
		{ "bind",		required_argument, NULL, 'b' },
		{ "log",		required_argument, NULL, OPT_LOG },
		{ "quiet",		no_argument,	   NULL, 'q' },
		{ "follow-symlinks",	no_argument,	   NULL, OPT_FOLLOW },
		{ "max-clients",	required_argument, NULL,
		    OPT_MAX_CLIENTS },
		{ "head-timeout",	required_argument, NULL,
		    OPT_HEAD_TIMEOUT },
		{ "keepalive-timeout",	required_argument, NULL,
		    OPT_KEEPALIVE },
		{ "send-timeout",	required_argument, NULL,
		    OPT_SEND_TIMEOUT },
		{ NULL,			0,		   NULL, 0 }
	};
	const char	*a;
	int		 ch, rc;

	memset(o, 0, sizeof(*o));
	o->dir = ".";
	o->port = "8000";
	o->max_clients = 10000;
	o->head_ms = 20000;
	o->keepalive_ms = 60000;
	o->send_ms = 60000;
	optind = 1;
	opterr = 0;
	cmd_longopts(longopts);
	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS "b:d:q",
	    longopts, NULL)) != -1) {
		/* nc's and other servers' habit: say where the port goes. */
		if (ch == '?' && (optopt == 'p' || (optopt == 0 &&
		    argv[optind - 1] != NULL && (strcmp(argv[optind - 1],
		    "--port") == 0 || strncmp(argv[optind - 1], "--port=",
		    7) == 0)))) {
			cmd_usage_err(CMD, "unknown option '%s': the port is "
			    "an operand: 'sockkit http [ADDRESS] PORT'",
			    optopt == 'p' ? "-p" : "--port");
			return -1;
		}
		if ((rc = cmd_common(CMD, &o->c, ch, argv)) == -1)
			return -1;
		if (rc == 1)
			continue;
		switch (ch) {
		case 'b':
			o->bind = optarg;
			break;
		case 'd':
			o->dir = optarg;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case OPT_LOG:
			o->log = optarg;
			break;
		case OPT_FOLLOW:
			o->follow = 1;
			break;
		case OPT_MAX_CLIENTS:
			if (cmd_number(CMD, "--max-clients", optarg, 1,
			    1000000, &o->max_clients) == -1)
				return -1;
			break;
		case OPT_HEAD_TIMEOUT:
		case OPT_KEEPALIVE:
		case OPT_SEND_TIMEOUT:
			if (timeout_arg(o, ch, optarg) == -1)
				return -1;
			break;
		}
	}
	if (o->c.help)
		return 0;
	argc -= optind;
	argv += optind;
	if (argc > 2) {
		cmd_usage_err(CMD, "too many operands: '%s'", argv[2]);
		return -1;
	}
	if (argc == 1 && o->bind == NULL && colon_operand(argv[0]))
		return -1;
	/* One operand: a port if it is all digits, else the address. */
	if (o->bind != NULL) {
		/* python's -b ADDRESS: then an operand is the port. */
		if (argc == 2) {
			cmd_usage_err(CMD, "-b %s and the address '%s' do not "
			    "go together", o->bind, argv[0]);
			return -1;
		}
		o->host = o->bind;
		if (argc == 1)
			o->port = argv[0];
	} else if (argc == 2) {
		o->host = argv[0];
		o->port = argv[1];
	} else if (argc == 1) {
		for (a = argv[0]; *a >= '0' && *a <= '9'; a++)
			;
		if (*a == '\0')
			o->port = argv[0];
		else
			o->host = argv[0];
	}
	if (*o->dir == '\0' || (o->log != NULL && *o->log == '\0') ||
	    (o->host != NULL && *o->host == '\0')) {
		cmd_usage_err(CMD, "an empty %s", *o->dir == '\0' ?
		    "-d DIR" : o->host != NULL && *o->host == '\0' ?
		    "ADDRESS" : "--log FILE");
		return -1;
	}
	if ((o->host != NULL && o->bind == NULL &&
	    path_operand(o, o->host, 0)) || ((argc == 2 || (o->bind != NULL &&
	    argc == 1)) && path_operand(o, o->port, 1)))
		return -1;
	if (o->host != NULL && o->host[strspn(o->host, "0123456789")] ==
	    '\0') {
		/* getaddrinfo would take "8000" as 0.0.31.64. */
		cmd_usage_err(CMD, "'%s' is not an address: give one PORT, "
		    "or ADDRESS PORT", o->host);
		return -1;
	}
	if (cmd_host_ok(CMD, o->bind != NULL ? "-b" : NULL, o->host) == -1)
		return -1;
	if (cmd_port(CMD, NULL, o->port, 1) == -1)
		return -1;
	/* What would do nothing where it is given. */
	if (family_conflict(o))
		return -1;
	if (o->quiet && o->log != NULL) {
		cmd_usage_err(CMD, "--quiet and --log do not go together");
		return -1;
	}
	if (o->quiet && o->c.verbose) {
		cmd_usage_err(CMD, "-q and -v do not go together");
		return -1;
	}
	if (o->c.json) {
		cmd_usage_err(CMD, "--json: http has no JSON output (its "
		    "access log is in Common Log Format)");
		return -1;
	}
	return 0;
}

/*
 * Content types by extension (lower case; looked up case-insensitively).
 * Sorted by strcmp for bsearch: test_http.sh checks the order and asks
 * for every entry.  After python's mimetypes and nginx's mime.types, with
 * one rule of our own: what people read as text (source, configuration,
 * logs, notes, checksums) is text/plain in UTF-8, so a browser shows it
 * instead of downloading it; types a browser or player handles itself
 * (HTML, CSS, JavaScript, JSON, XML, CSV, subtitles, media) keep their
 * registered ones.  .ts is an MPEG transport stream (HLS), as in nginx.
 */
#define TEXT	"text/plain; charset=utf-8"

static const struct mime {
	const char	*ext;
	const char	*type;
} mimes[] = {
	{ "3g2",	"video/3gpp2" },
	{ "3gp",	"video/3gpp" },
	{ "3gpp",	"video/3gpp" },
	{ "7z",		"application/x-7z-compressed" },
	{ "aac",	"audio/aac" },
	{ "adoc",	TEXT },
	{ "aif",	"audio/aiff" },
	{ "aifc",	"audio/aiff" },
	{ "aiff",	"audio/aiff" },
	{ "apk",	"application/vnd.android.package-archive" },
	{ "apng",	"image/apng" },
	{ "asc",	TEXT },
	{ "asf",	"video/x-ms-asf" },
	{ "atom",	"application/atom+xml" },
	{ "au",		"audio/basic" },
	{ "avi",	"video/x-msvideo" },
	{ "avif",	"image/avif" },
	{ "awk",	TEXT },
	{ "bash",	TEXT },
	{ "bat",	TEXT },
	{ "bmp",	"image/bmp" },
	{ "bz2",	"application/x-bzip2" },
	{ "c",		TEXT },
	{ "cc",		TEXT },
	{ "cfg",	TEXT },
	{ "cjs",	"text/javascript; charset=utf-8" },
	{ "clj",	TEXT },
	{ "cmake",	TEXT },
	{ "cnf",	TEXT },
	{ "conf",	TEXT },
	{ "cpio",	"application/x-cpio" },
	{ "cpp",	TEXT },
	{ "cs",		TEXT },
	{ "css",	"text/css; charset=utf-8" },
	{ "csv",	"text/csv; charset=utf-8" },
	{ "cxx",	TEXT },
	{ "d",		TEXT },
	{ "dart",	TEXT },
	{ "deb",	"application/vnd.debian.binary-package" },
	{ "diff",	TEXT },
	{ "dmg",	"application/x-apple-diskimage" },
	{ "doc",	"application/msword" },
	{ "docx",	"application/vnd.openxmlformats-officedocument."
			"wordprocessingml.document" },
	{ "dtd",	"application/xml-dtd" },
	{ "el",		TEXT },
	{ "env",	TEXT },
	{ "eot",	"application/vnd.ms-fontobject" },
	{ "eps",	"application/postscript" },
	{ "epub",	"application/epub+zip" },
	{ "erl",	TEXT },
	{ "ex",		TEXT },
	{ "exs",	TEXT },
	{ "f90",	TEXT },
	{ "fish",	TEXT },
	{ "flac",	"audio/flac" },
	{ "flv",	"video/x-flv" },
	{ "geojson",	"application/geo+json" },
	{ "gif",	"image/gif" },
	{ "go",		TEXT },
	{ "gpx",	"application/gpx+xml" },
	{ "gradle",	TEXT },
	{ "groovy",	TEXT },
	{ "gz",		"application/gzip" },
	{ "h",		TEXT },
	{ "heic",	"image/heic" },
	{ "heif",	"image/heif" },
	{ "hh",		TEXT },
	{ "hpp",	TEXT },
	{ "hs",		TEXT },
	{ "htm",	"text/html; charset=utf-8" },
	{ "html",	"text/html; charset=utf-8" },
	{ "hxx",	TEXT },
	{ "ico",	"image/vnd.microsoft.icon" },
	{ "ics",	"text/calendar; charset=utf-8" },
	{ "ini",	TEXT },
	{ "ipynb",	"application/json" },
	{ "iso",	"application/x-iso9660-image" },
	{ "jar",	"application/java-archive" },
	{ "java",	TEXT },
	{ "jfif",	"image/jpeg" },
	{ "jl",		TEXT },
	{ "jpe",	"image/jpeg" },
	{ "jpeg",	"image/jpeg" },
	{ "jpg",	"image/jpeg" },
	{ "js",		"text/javascript; charset=utf-8" },
	{ "json",	"application/json" },
	{ "jsonl",	TEXT },
	{ "jsonld",	"application/ld+json" },
	{ "jsx",	TEXT },
	{ "jxl",	"image/jxl" },
	{ "kml",	"application/vnd.google-earth.kml+xml" },
	{ "kmz",	"application/vnd.google-earth.kmz" },
	{ "kt",		TEXT },
	{ "kts",	TEXT },
	{ "less",	TEXT },
	{ "lisp",	TEXT },
	{ "log",	TEXT },
	{ "lua",	TEXT },
	{ "lz",		"application/x-lzip" },
	{ "lz4",	"application/x-lz4" },
	{ "lzma",	"application/x-lzma" },
	{ "m",		TEXT },
	{ "m2ts",	"video/mp2t" },
	{ "m3u",	"audio/x-mpegurl" },
	{ "m3u8",	"application/vnd.apple.mpegurl" },
	{ "m4a",	"audio/mp4" },
	{ "m4v",	"video/mp4" },
	{ "mak",	TEXT },
	{ "map",	"application/json" },
	{ "markdown",	TEXT },
	{ "md",		TEXT },
	{ "md5",	TEXT },
	{ "mid",	"audio/midi" },
	{ "midi",	"audio/midi" },
	{ "mjs",	"text/javascript; charset=utf-8" },
	{ "mk",		TEXT },
	{ "mka",	"audio/x-matroska" },
	{ "mkv",	"video/x-matroska" },
	{ "ml",		TEXT },
	{ "mli",	TEXT },
	{ "mov",	"video/quicktime" },
	{ "mp2",	"audio/mpeg" },
	{ "mp3",	"audio/mpeg" },
	{ "mp4",	"video/mp4" },
	{ "mpeg",	"video/mpeg" },
	{ "mpg",	"video/mpeg" },
	{ "msi",	"application/x-msi" },
	{ "mts",	"video/mp2t" },
	{ "ndjson",	TEXT },
	{ "nfo",	TEXT },
	{ "nim",	TEXT },
	{ "odg",	"application/vnd.oasis.opendocument.graphics" },
	{ "odp",	"application/vnd.oasis.opendocument.presentation" },
	{ "ods",	"application/vnd.oasis.opendocument.spreadsheet" },
	{ "odt",	"application/vnd.oasis.opendocument.text" },
	{ "oga",	"audio/ogg" },
	{ "ogg",	"audio/ogg" },
	{ "ogv",	"video/ogg" },
	{ "opus",	"audio/opus" },
	{ "org",	TEXT },
	{ "otf",	"font/otf" },
	{ "patch",	TEXT },
	{ "pdf",	"application/pdf" },
	{ "php",	TEXT },
	{ "pl",		TEXT },
	{ "pm",		TEXT },
	{ "png",	"image/png" },
	{ "ppt",	"application/vnd.ms-powerpoint" },
	{ "pptx",	"application/vnd.openxmlformats-officedocument."
			"presentationml.presentation" },
	{ "properties",	TEXT },
	{ "proto",	TEXT },
	{ "ps",		"application/postscript" },
	{ "ps1",	TEXT },
	{ "psd",	"image/vnd.adobe.photoshop" },
	{ "py",		TEXT },
	{ "pyi",	TEXT },
	{ "qt",		"video/quicktime" },
	{ "r",		TEXT },
	{ "rar",	"application/vnd.rar" },
	{ "rb",		TEXT },
	{ "rpm",	"application/x-redhat-package-manager" },
	{ "rs",		TEXT },
	{ "rss",	"application/rss+xml" },
	{ "rst",	TEXT },
	{ "rtf",	"application/rtf" },
	{ "s",		TEXT },
	{ "sass",	TEXT },
	{ "scala",	TEXT },
	{ "scss",	TEXT },
	{ "sh",		TEXT },
	{ "sha1",	TEXT },
	{ "sha256",	TEXT },
	{ "sha512",	TEXT },
	{ "sig",	"application/pgp-signature" },
	{ "snd",	"audio/basic" },
	{ "sql",	TEXT },
	{ "srt",	TEXT },
	{ "svg",	"image/svg+xml" },
	{ "swift",	TEXT },
	{ "tar",	"application/x-tar" },
	{ "tbz2",	"application/x-bzip2" },
	{ "tcl",	TEXT },
	{ "tex",	TEXT },
	{ "tgz",	"application/gzip" },
	{ "tif",	"image/tiff" },
	{ "tiff",	"image/tiff" },
	{ "toml",	TEXT },
	{ "ts",		"video/mp2t" },
	{ "tsv",	"text/tab-separated-values; charset=utf-8" },
	{ "tsx",	TEXT },
	{ "ttc",	"font/collection" },
	{ "ttf",	"font/ttf" },
	{ "txt",	TEXT },
	{ "txz",	"application/x-xz" },
	{ "vim",	TEXT },
	{ "vtt",	"text/vtt; charset=utf-8" },
	{ "vue",	TEXT },
	{ "wasm",	"application/wasm" },
	{ "wav",	"audio/wav" },
	{ "weba",	"audio/webm" },
	{ "webm",	"video/webm" },
	{ "webmanifest", "application/manifest+json" },
	{ "webp",	"image/webp" },
	{ "wma",	"audio/x-ms-wma" },
	{ "wmv",	"video/x-ms-wmv" },
	{ "woff",	"font/woff" },
	{ "woff2",	"font/woff2" },
	{ "xhtml",	"application/xhtml+xml" },
	{ "xls",	"application/vnd.ms-excel" },
	{ "xlsx",	"application/vnd.openxmlformats-officedocument."
			"spreadsheetml.sheet" },
	{ "xml",	"application/xml" },
	{ "xsd",	"application/xml" },
	{ "xsl",	"application/xml" },
	{ "xz",		"application/x-xz" },
	{ "yaml",	TEXT },
	{ "yml",	TEXT },
	{ "zip",	"application/zip" },
	{ "zsh",	TEXT },
	{ "zst",	"application/zstd" },
};

static int
by_ext(const void *k, const void *m)
{
	return strcmp(k, ((const struct mime *)m)->ext);
}

/* Files known by their whole name, without an extension: text. */
static const struct mime whole_names[] = {
	{ "authors",	TEXT },
	{ "changelog",	TEXT },
	{ "changes",	TEXT },
	{ "contributing", TEXT },
	{ "copying",	TEXT },
	{ "dockerfile",	TEXT },
	{ "install",	TEXT },
	{ "license",	TEXT },
	{ "makefile",	TEXT },
	{ "md5sums",	TEXT },
	{ "news",	TEXT },
	{ "notice",	TEXT },
	{ "readme",	TEXT },
	{ "sha1sums",	TEXT },
	{ "sha256sums",	TEXT },
	{ "sha512sums",	TEXT },
	{ "todo",	TEXT },
};

const char *
http_content_type(const char *path)
{
	const char	*base = strrchr(path, '/'), *dot;
	const struct mime *m, *tab = mimes;
	size_t		 i, n = sizeof(mimes) / sizeof(mimes[0]);
	char		 key[16];

	base = base != NULL ? base + 1 : path;
	if ((dot = strrchr(base, '.')) != NULL)
		dot++;
	else {
		dot = base;
		tab = whole_names;
		n = sizeof(whole_names) / sizeof(whole_names[0]);
	}
	if (strlen(dot) >= sizeof(key))
		return "application/octet-stream";
	for (i = 0; dot[i] != '\0'; i++)
		key[i] = (char)tolower((unsigned char)dot[i]);
	key[i] = '\0';
	m = bsearch(key, tab, n, sizeof(tab[0]), by_ext);
	return m != NULL ? m->type : "application/octet-stream";
}

int
cmd_http(int argc, char **argv)
{
	struct http_opts	o;

	if (parse_args(argc, argv, &o) == -1)
		return EXIT_USAGE;
	if (o.c.help)
		return cmd_help(usage_text);
	return http_serve(&o);
}
