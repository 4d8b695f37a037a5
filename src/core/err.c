/*
 * err.c - error messages for the core's `char *err` arguments.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sockkit/net.h>

#include "err.h"

void
core_errf(char *err, int with_errno, const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno, n;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(err, SK_ERRLEN, fmt, ap);
	va_end(ap);
	if (with_errno && n >= 0 && n < SK_ERRLEN)
		snprintf(err + n, SK_ERRLEN - (size_t)n, ": %s",
		    strerror(saved));
	errno = saved;
}
