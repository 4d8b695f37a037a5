/*
 * err.h - how the core fills the caller's `char *err` (private to src/core).
 */
#ifndef SOCKKIT_CORE_ERR_H
#define SOCKKIT_CORE_ERR_H

/*
 * Write one line into err (SK_ERRLEN bytes; NULL is allowed and ignored).
 * core_errno() appends ": " and strerror(errno).  Both leave errno as it
 * was, so the caller still sees the cause.
 */
void	core_err(char *err, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	core_errno(char *err, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif /* SOCKKIT_CORE_ERR_H */
