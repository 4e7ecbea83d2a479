
/*
 * The lock that keeps a second campaignd off a store, the pid file, and
 * the double fork of --daemon with a pipe that reports the start's outcome.
 */


#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmp_daemon.h"


static int cmp_daemon_write_pid(int fd);
static long cmp_daemon_read_pid(int fd);
static void cmp_daemon_wait_ready(int ready_fd) __attribute__((noreturn));


/*
 * flock() and not LMDB's own locks: the lock dies with the process however
 * it ends, and it says nothing about nginx workers, which share the store
 * legitimately.  The file is never removed: unlinking a lock file lets a
 * third process lock a new file while the second still holds the old one.
 */
int
cmp_daemon_lock(const char *store, int *fd, char *err, size_t err_len)
{
    int    lfd, saved;
    long   pid;
    char   path[4096];

    if ((size_t) snprintf(path, sizeof(path), "%s/%s", store,
                          CMP_DAEMON_LOCK_FILE)
        >= sizeof(path))
    {
        snprintf(err, err_len, "store path \"%s\" is too long", store);
        return -1;
    }

    lfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lfd == -1) {
        saved = errno;

        if (saved == ENOENT || saved == ENOTDIR) {
            snprintf(err, err_len, "store \"%s\" is not a directory", store);

        } else {
            snprintf(err, err_len, "cannot open lock file \"%s\": %s", path,
                     strerror(saved));
        }

        return -1;
    }

    if (flock(lfd, LOCK_EX | LOCK_NB) == -1) {
        saved = errno;

        if (saved == EWOULDBLOCK) {
            pid = cmp_daemon_read_pid(lfd);

            if (pid > 0) {
                snprintf(err, err_len, "another campaignd (pid %ld) is "
                         "already running on store \"%s\" (it holds %s)",
                         pid, store, path);

            } else {
                snprintf(err, err_len, "another campaignd is already "
                         "running on store \"%s\" (it holds %s)", store,
                         path);
            }

        } else {
            snprintf(err, err_len, "flock(\"%s\") failed: %s", path,
                     strerror(saved));
        }

        close(lfd);
        return -1;
    }

    if (cmp_daemon_write_pid(lfd) != 0) {
        saved = errno;
        snprintf(err, err_len, "cannot write pid into \"%s\": %s", path,
                 strerror(saved));
        close(lfd);
        return -1;
    }

    *fd = lfd;

    return 0;
}


/* a lock file left empty tells a reader that nobody holds it any more */
void
cmp_daemon_unlock(int fd)
{
    if (fd == -1) {
        return;
    }

    if (ftruncate(fd, 0) == -1) {
        /* void: the lock goes with close() all the same */
    }

    close(fd);
}


static int
cmp_daemon_write_pid(int fd)
{
    int    n;
    char   buf[32];

    n = snprintf(buf, sizeof(buf), "%ld\n", (long) getpid());

    if (ftruncate(fd, 0) == -1) {
        return -1;
    }

    if (pwrite(fd, buf, n, 0) != n) {
        if (errno == 0) {
            errno = EIO;
        }

        return -1;
    }

    return 0;
}


/* the holder may not have written its pid yet: then 0, "unknown" */
static long
cmp_daemon_read_pid(int fd)
{
    char     *end;
    long      pid;
    ssize_t   n;
    char      buf[32];

    n = pread(fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0) {
        return 0;
    }

    buf[n] = '\0';
    pid = strtol(buf, &end, 10);

    if (end == buf || pid <= 0) {
        return 0;
    }

    return pid;
}


int
cmp_daemon_pid_write(const char *path, char *err, size_t err_len)
{
    int  fd, saved;

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd == -1) {
        snprintf(err, err_len, "cannot open pid file \"%s\": %s", path,
                 strerror(errno));
        return -1;
    }

    if (cmp_daemon_write_pid(fd) != 0) {
        saved = errno;
        close(fd);
        (void) unlink(path);
        snprintf(err, err_len, "cannot write pid file \"%s\": %s", path,
                 strerror(saved));
        return -1;
    }

    if (close(fd) == -1) {
        snprintf(err, err_len, "cannot write pid file \"%s\": %s", path,
                 strerror(errno));
        (void) unlink(path);
        return -1;
    }

    return 0;
}


void
cmp_daemon_pid_remove(const char *path)
{
    (void) unlink(path);
}


/*
 * Returns in the daemon only.  The process that ran "campaignd --daemon"
 * waits on ready_fd until the daemon holds the lock and has opened the
 * store, and exits 0 then, or 1 if the daemon died first: so an init script
 * or a test learns of a failed start from the exit status, and the daemon's
 * error reaches the terminal through the stderr it still shares.
 */
int
cmp_daemon_detach(int *ready_fd, char *err, size_t err_len)
{
    int    fd;
    pid_t  pid;
    int    pipefd[2];

    if (pipe2(pipefd, O_CLOEXEC) == -1) {
        snprintf(err, err_len, "pipe2() failed: %s", strerror(errno));
        return -1;
    }

    pid = fork();

    if (pid == -1) {
        snprintf(err, err_len, "fork() failed: %s", strerror(errno));
        close(pipefd[0]);
        close(pipefd[1]);
        return -1;
    }

    if (pid > 0) {
        close(pipefd[1]);
        (void) waitpid(pid, NULL, 0);
        cmp_daemon_wait_ready(pipefd[0]);
    }

    close(pipefd[0]);

    /* a new session: no controlling terminal, no signals from its keys */
    if (setsid() == -1) {
        fprintf(stderr, "campaignd: setsid() failed: %s\n", strerror(errno));
        _exit(1);
    }

    /* not a session leader, so no open() can acquire a terminal again */
    pid = fork();

    if (pid == -1) {
        fprintf(stderr, "campaignd: fork() failed: %s\n", strerror(errno));
        _exit(1);
    }

    if (pid > 0) {
        _exit(0);
    }

    if (chdir("/") == -1) {
        snprintf(err, err_len, "chdir(\"/\") failed: %s", strerror(errno));
        close(pipefd[1]);
        return -1;
    }

    fd = open("/dev/null", O_RDWR);
    if (fd == -1) {
        snprintf(err, err_len, "cannot open /dev/null: %s", strerror(errno));
        close(pipefd[1]);
        return -1;
    }

    if (dup2(fd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1) {
        snprintf(err, err_len, "dup2() failed: %s", strerror(errno));
        close(fd);
        close(pipefd[1]);
        return -1;
    }

    if (fd > STDERR_FILENO) {
        close(fd);
    }

    *ready_fd = pipefd[1];

    return 0;
}


static void
cmp_daemon_wait_ready(int ready_fd)
{
    char     c;
    ssize_t  n;

    do {
        n = read(ready_fd, &c, 1);
    } while (n == -1 && errno == EINTR);

    _exit(n == 1 ? 0 : 1);
}


/*
 * The start succeeded: release the waiting parent and let go of the
 * terminal's stderr; stray writes to stderr (libraries) go to the log
 * file when there is one.
 */
int
cmp_daemon_ready(int ready_fd, int log_fd, char *err, size_t err_len)
{
    int  fd;

    if (log_fd != -1 && log_fd != STDERR_FILENO) {
        fd = log_fd;

    } else {
        fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (fd == -1) {
            snprintf(err, err_len, "cannot open /dev/null: %s",
                     strerror(errno));
            return -1;
        }
    }

    if (dup2(fd, STDERR_FILENO) == -1) {
        snprintf(err, err_len, "dup2() failed: %s", strerror(errno));
        return -1;
    }

    if (fd != log_fd) {
        close(fd);
    }

    if (write(ready_fd, "1", 1) != 1) {
        snprintf(err, err_len, "cannot tell the parent: %s",
                 strerror(errno));
        close(ready_fd);
        return -1;
    }

    close(ready_fd);

    return 0;
}
