/*
 * err.c - error messages for the core's `char *err` arguments.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sockkit/net.h>

#include "err.h"

static void
verr(char *err, int with_errno, const char *fmt, va_list ap)
{
	int	saved = errno, n;

	if (err == NULL)
		return;
	n = vsnprintf(err, SK_ERRLEN, fmt, ap);
	if (with_errno && n >= 0 && n < SK_ERRLEN)
		snprintf(err + n, SK_ERRLEN - (size_t)n, ": %s",
		    strerror(saved));
	errno = saved;
}

void
core_err(char *err, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	verr(err, 0, fmt, ap);
	va_end(ap);
}

void
core_errno(char *err, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	verr(err, 1, fmt, ap);
	va_end(ap);
}
