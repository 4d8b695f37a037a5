# mkhelp.awk - render docs/sockkit.1 (mdoc) to plain text, one page per
# command, as C source for "sockkit help COMMAND".
#
#   awk -f tools/mkhelp.awk docs/sockkit.1 > help.c
#
# It knows the mdoc macros the page uses, laid out as man(1) lays them out
# at 80 columns, so "sockkit help http" and the http part of "man sockkit"
# are the same text.  A command's page is its SYNOPSIS lines, its own
# subsection, the options every command takes, and the EXAMPLES that run
# it.  Plain POSIX awk: the build needs nothing beyond cc and make.

BEGIN {
	WIDTH = 78
	ncmd = 0
	bucket = ""		# where rendered lines go now
	nlist = 0		# .Bl nesting
	indent = 5		# left margin of running text
	literal = 0
	nw = 0			# words waiting to be filled
	nex = 0			# examples seen
	sec = ""
	delim["."] = delim[","] = delim[";"] = delim[":"] = 1
	delim[")"] = delim["]"] = delim["?"] = delim["!"] = 1
	open_delim["("] = open_delim["["] = 1
	split("Ar Cm Dq Dv Ev Fl Ic Li Nm No Ns Oc Oo Op Pa Pq Qq Sq Xr", m,
	    " ")
	for (i in m)
		callable[m[i]] = 1
}

# ---- text: escapes, words, filling ----------------------------------------

function unescape(s) {
	gsub(/\\&/, "", s)
	gsub(/\\-/, "-", s)
	gsub(/\\e/, "\\", s)
	return s
}

# Queue one word; nospace glues it to the word before.
function word(w, nospace) {
	if (nospace && nw > 0) {
		words[nw] = words[nw] w
		return
	}
	words[++nw] = w
	gap[nw] = (nw > 1 && sentence) ? 2 : 1
	sentence = 0
}

function emit(line) {
	gsub(/\001/, " ", line)
	sub(/ +$/, "", line)
	out[bucket, ++nout[bucket]] = line
}

function blank() {
	if (nout[bucket] > 0 && out[bucket, nout[bucket]] != "")
		emit("")
}

function pad(n,    s) {
	s = ""
	while (n-- > 0)
		s = s " "
	return s
}

# Fill the queued words between indent and WIDTH; a pending tag either
# shares the first line (when it is short) or gets a line of its own.
function flush(    line, i, w, first, lead, p) {
	if (tag != "") {
		if (length(tag) < tagw - 1 && nw > 0) {
			first = pad(indent - tagw) tag
			first = first pad(indent - length(first))
		} else {
			emit(pad(indent - tagw) tag)
			first = ""
		}
		tag = ""
	} else
		first = ""
	if (nw == 0)
		return
	line = first != "" ? first : pad(indent)
	lead = 1
	for (i = 1; i <= nw; i++) {
		w = words[i]
		if (!lead && length(line) + gap[i] + length(w) > WIDTH) {
			p = hyphen(w, WIDTH - length(line) - gap[i])
			if (p > 0) {
				emit(line pad(gap[i]) substr(w, 1, p))
				w = substr(w, p + 1)
			} else
				emit(line)
			line = pad(indent)
			lead = 1
		}
		line = line (lead ? "" : pad(gap[i])) w
		lead = 0
	}
	emit(line)
	nw = 0
	sentence = 0
}

# Where roff may break a word that does not fit in room columns: after
# its last hyphen that fits between two letters or digits ("half-close",
# not "--max-queue" or "'-'").
function hyphen(w, room,    p) {
	if (w ~ /^[-[]/)
		return 0
	for (p = room; p > 1; p--)
		if (substr(w, p - 1, 3) ~ /^[A-Za-z0-9]-[A-Za-z0-9]$/)
			return p
	return 0
}

# A text line ending a sentence gets two spaces after it, as in roff
# (closing quotes and brackets after the stop do not hide it).
function eol(last) {
	if (last ~ /[.?!][)\]"'*]*$/ && last !~ /\\&$/)
		sentence = 1
}

# ---- macros ----------------------------------------------------------------

# Split a macro line into tok[1..n], honouring "quoted arguments".
function tokens(s,    n, t) {
	n = 0
	while (s != "") {
		sub(/^[ \t]+/, "", s)
		if (s == "")
			break
		if (substr(s, 1, 1) == "\"") {
			s = substr(s, 2)
			t = index(s, "\"")
			if (t == 0)
				t = length(s) + 1
			tok[++n] = substr(s, 1, t - 1)
			s = substr(s, t + 1)
		} else {
			t = match(s, /[ \t]/)
			if (t == 0)
				t = length(s) + 1
			tok[++n] = substr(s, 1, t - 1)
			s = substr(s, t)
		}
	}
	return n
}

# Render tok[i..n] inline into parts[] (text, glue); returns nothing.
# Enclosures (Op Dq Sq Pq Qq) take the rest of the line, leaving trailing
# punctuation outside, as mdoc does.
function inline(i, n,    t, mac, shut, j, k, prefix) {
	mac = ""
	while (i <= n) {
		t = tok[i]
		if (t in callable) {
			mac = t
			if (t == "Ns") {
				glue_next = 1
				i++
				continue
			}
			if (t == "Op" || t == "Dq" || t == "Sq" || t == "Pq" ||
			    t == "Qq") {
				for (k = n; k > i && (tok[k] in delim); k--)
					;
				shut = t == "Op" ? "]" : t == "Pq" ? ")" : \
				    t == "Sq" ? "'" : "\""
				part(t == "Op" ? "[" : t == "Pq" ? "(" : shut, 0)
				glue_next = 1
				keep++
				inline(i + 1, k)
				keep--
				part(shut, 1)
				for (j = k + 1; j <= n; j++)
					part(tok[j], 1)
				return
			}
			if (t == "Oo") {
				part("[", 0)
				glue_next = 1
				keep++
				i++
				continue
			}
			if (t == "Oc") {
				part("]", 1)
				keep--
				i++
				continue
			}
			if (t == "Xr") {
				part(tok[i + 1] "(" tok[i + 2] ")", 0)
				i += 3
				mac = ""
				continue
			}
			if (t == "Nm" && (i == n || tok[i + 1] in callable ||
			    tok[i + 1] in delim)) {
				part("sockkit", 0)
			}
			if (t == "Fl" && (i == n || tok[i + 1] in callable ||
			    tok[i + 1] in delim))
				part("-", 0)
			i++
			continue
		}
		if (t in delim) {
			part(t, 1)
		} else if (t in open_delim) {
			part(t, 0)
			glue_next = 1
		} else if (t == "|") {
			part(t, 0)
		} else {
			prefix = mac == "Fl" ? "-" : ""
			part(prefix unescape(t), 0)
		}
		i++
	}
}

# In the SYNOPSIS an optional group never breaks across lines: its words
# are joined by \001, a space that fill() does not break at.
function part(s, glue) {
	if (sec == "SYNOPSIS" && keep > 0 && !(glue || glue_next) && nw > 0)
		words[nw] = words[nw] "\001" s
	else
		word(s, glue || glue_next)
	glue_next = 0
}

function macro(line,    n, name, i, a) {
	n = tokens(substr(line, 2))
	name = tok[1]
	if (name == "Sh") {
		if (sec == "SYNOPSIS")
			synflush()
		flush()
		blank()
		sec = tok[2]
		for (i = 3; i <= n; i++)
			sec = sec " " tok[i]
		bucket = sec == "SYNOPSIS" ? "" : sec == "EXAMPLES" ? \
		    "ex" (++nex) : sec == "DESCRIPTION" ? "desc" : "skip"
		indent = 5
		return
	}
	if (name == "Ss") {
		flush()
		blank()
		a = tok[2]
		for (i = 3; i <= n; i++)
			a = a " " tok[i]
		if (a ~ /^[a-z-]+$/) {
			cmds[++ncmd] = a
			bucket = "sec:" a
		} else
			bucket = a == "Options every command takes" ? "common" : \
			    "skip"
		if (bucket != "skip" && bucket != "common")
			emit("   " a)
		return
	}
	if (sec == "SYNOPSIS") {
		synopsis(n)
		return
	}
	if (name == "Pp") {
		flush()
		if (sec == "EXAMPLES")
			bucket = "ex" (++nex)
		else
			blank()
		return
	}
	if (name == "Bl") {
		flush()
		lists[++nlist] = indent
		compact[nlist] = 0
		for (i = 2; i <= n; i++)
			if (tok[i] == "-compact")
				compact[nlist] = 1
		items[nlist] = 0
		if (!compact[nlist])
			blank()
		indent += 8
		return
	}
	if (name == "It") {
		flush()
		if (items[nlist]++ > 0 && !compact[nlist])
			blank()
		tagw = 8
		inline(2, n)
		tag = join()
		return
	}
	if (name == "El") {
		flush()
		indent = lists[nlist--]
		return
	}
	if (name == "Bd") {
		flush()
		blank()
		literal = 1
		return
	}
	if (name == "Ed") {
		literal = 0
		blank()
		return
	}
	if (name == "Dl") {
		flush()
		a = substr(line, 5)
		emit(pad(indent + 6) unescape(a))
		return
	}
	if (name == "Dd" || name == "Dt" || name == "Os" || name == "Nd")
		return
	inline(1, n)
	if (tok[n] == "." || tok[n] == "?" || tok[n] == "!")
		sentence = 1
}

# Take what inline() queued as one string (for a list tag).
function join(    s, i) {
	s = ""
	for (i = 1; i <= nw; i++)
		s = s (i > 1 ? pad(gap[i]) : "") words[i]
	nw = 0
	return s
}

# SYNOPSIS: each .Nm starts a line for the command its .Cm names;
# continuation lines hang under the word after the name.
function synopsis(n,    i) {
	if (tok[1] == "Nm") {
		synflush()
		synbuf = 1
		return
	}
	if (tok[1] == "Pp")
		return
	if (tok[1] == "Cm" && synbuf == 1) {
		syncmd = tok[2]
		for (i = 3; i <= n; i++)
			if (tok[i] ~ /^[a-z]+$/)
				synsub = synsub " " tok[i]
	}
	synbuf = 2
	inline(1, n)
}

function synflush(    save, lead) {
	if (syncmd != "") {
		save = bucket
		bucket = "syn:" syncmd
		lead = "sockkit " syncmd synsub
		tag = ""
		indent = 13
		# the words so far start with the command name: drop those
		shiftwords(1 + split(synsub, junk, " "))
		line = pad(5) lead
		fillfrom(line)
		bucket = save
		indent = 5
	}
	nw = 0
	syncmd = ""
	synsub = ""
	synbuf = 0
}

function shiftwords(k,    i) {
	for (i = k + 1; i <= nw; i++) {
		words[i - k] = words[i]
		gap[i - k] = gap[i]
	}
	nw -= k
}

function fillfrom(line,    i, w) {
	for (i = 1; i <= nw; i++) {
		w = words[i]
		if (length(line) + 1 + length(w) > WIDTH) {
			emit(line)
			line = pad(indent)
		} else
			line = line " "
		line = line w
	}
	emit(line)
	nw = 0
}

# ---- input ------------------------------------------------------------------

/^\.\\"/ { next }

literal && /^\./ {
	if ($0 ~ /^\.Ed/)
		macro($0)
	next
}

literal {
	emit(pad(indent + 6) unescape($0))
	if ($0 ~ /sockkit [a-z-]+/) {
		s = $0
		while (match(s, /sockkit [a-z-]+/)) {
			excmd[nex, substr(s, RSTART + 8, RLENGTH - 8)] = 1
			s = substr(s, RSTART + RLENGTH)
		}
	}
	next
}

/^\./ {
	macro($0)
	next
}

{
	n = split(unescape($0), w, " ")
	for (i = 1; i <= n; i++)
		word(w[i], glue_next && i == 1)
	glue_next = 0
	eol($0)
}

# ---- output: C ----------------------------------------------------------------

function cstr(s,    r, i, c) {
	r = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		r = r (c == "\\" || c == "\"" ? "\\" : "") c
	}
	return "\"" r "\","
}

function dump(b,    i) {
	for (i = 1; i <= nout[b]; i++)
		print "\t" cstr(out[b, i])
}

# One array of lines per command (a single string would pass the 4095
# bytes C compilers must accept), then the table naming them.
END {
	flush()
	synflush()
	print "/* Generated from docs/sockkit.1 by tools/mkhelp.awk: do not edit. */"
	print "#include <stddef.h>"
	print ""
	print "#include \"cmd.h\""
	for (c = 1; c <= ncmd; c++) {
		name = cmds[c]
		print ""
		print "static const char *const page" c "[] = {"
		print "\t" cstr("SYNOPSIS")
		dump("syn:" name)
		print "\t" cstr("")
		print "\t" cstr("DESCRIPTION")
		dump("sec:" name)
		print "\t" cstr("   Options every command takes")
		dump("common")
		first = 1
		for (e = 1; e <= nex; e++) {
			if (!((e, name) in excmd))
				continue
			if (first) {
				print "\t" cstr("EXAMPLES")
				first = 0
			}
			dump("ex" e)
		}
		print "\tNULL"
		print "};"
	}
	print ""
	print "const struct cmd_manual cmd_manual[] = {"
	for (c = 1; c <= ncmd; c++)
		print "\t{ \"" cmds[c] "\", page" c " },"
	print "\t{ NULL, NULL }"
	print "};"
}
