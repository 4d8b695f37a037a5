/*
 * err.h - how the core fills the caller's `char *err` (private to src/core).
 */
#ifndef SOCKKIT_CORE_ERR_H
#define SOCKKIT_CORE_ERR_H

/*
 * Write one line into err (SK_ERRLEN bytes; NULL is allowed and ignored).
 * core_errno() appends ": " and strerror(errno).  Both leave errno as it
 * was, so the caller still sees the cause.  They are one function that
 * takes the choice as an argument.
 */
void	core_errf(char *err, int with_errno, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#define core_err(err, ...)	core_errf((err), 0, __VA_ARGS__)
#define core_errno(err, ...)	core_errf((err), 1, __VA_ARGS__)

#endif /* SOCKKIT_CORE_ERR_H */
