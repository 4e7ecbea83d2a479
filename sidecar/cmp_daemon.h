
/*
 * Being a well-behaved daemon: one campaignd per store (a lock file in
 * the store), the pid file, and detaching from the terminal.
 */


#ifndef _CMP_DAEMON_H_INCLUDED_
#define _CMP_DAEMON_H_INCLUDED_


#include <stddef.h>


#define CMP_DAEMON_LOCK_FILE   "campaignd.lock"


int cmp_daemon_lock(const char *store, int *fd, char *err, size_t err_len);
void cmp_daemon_unlock(int fd);
int cmp_daemon_pid_write(const char *path, char *err, size_t err_len);
void cmp_daemon_pid_remove(const char *path);
int cmp_daemon_detach(int *ready_fd, char *err, size_t err_len);
int cmp_daemon_ready(int ready_fd, int log_fd, char *err, size_t err_len);


#endif /* _CMP_DAEMON_H_INCLUDED_ */
