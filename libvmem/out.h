/*
 * out.h -- error messages, logging and the library's own run-time memory
 *
 * Errors: ERR() records the calling thread's message (vmem_errormsg) and
 * logs it at level 1.  LOG(level, ...) costs one load and one branch when
 * logging is off.  Nothing here allocates from the engine, and nothing
 * here calls a function that may call malloc (formatting is vsnprintf into
 * a stack buffer, output is write(2)), so the shim may use it too.
 */
#ifndef VMEM_OUT_H
#define VMEM_OUT_H 1

#include <stddef.h>

#define OUT_MSG_MAX 256

/* the level set by <PREFIX>_LOG_LEVEL, 0 when unset */
extern int Out_level;

/* out_init -- read <prefix>_LOG_LEVEL and <prefix>_LOG_FILE */
void out_init(const char *prefix, const char *lib_name);

/* out_keep_stderr -- log to a private copy of stderr (survives close(2)) */
void out_keep_stderr(void);

/* out_fini -- close the log file */
void out_fini(void);

/* out_err -- record the thread's error message and log it */
void out_err(const char *func, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* out_log -- write one log line */
void out_log(int level, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* out_write -- write a string through the print function */
void out_write(const char *s);

/* out_write_fd -- write a string to the log file descriptor */
void out_write_fd(const char *s);

/* out_set_print_func -- replace the print function, NULL restores it */
void out_set_print_func(void (*print_func)(const char *s));

/* out_errormsg -- the calling thread's last error message */
const char *out_errormsg(void);

#define ERR(...) out_err(__func__, __VA_ARGS__)
#define LOG(level, ...) do {\
	if (__builtin_expect(Out_level >= (level), 0))\
		out_log((level), __func__, __VA_ARGS__);\
} while (0)

/* the library's own run-time state goes through these (vmem_set_funcs) */
extern void *(*Malloc)(size_t size);
extern void (*Free)(void *ptr);
extern void *(*Realloc)(void *ptr, size_t size);
extern char *(*Strdup)(const char *s);

/* util_set_alloc_funcs -- replace the run-time state allocator */
void util_set_alloc_funcs(void *(*malloc_func)(size_t),
		void (*free_func)(void *),
		void *(*realloc_func)(void *, size_t),
		char *(*strdup_func)(const char *));

#endif /* VMEM_OUT_H */
