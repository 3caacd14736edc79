#define _GNU_SOURCE
#include "lifeboat_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

static int set_attributes(posix_spawnattr_t *attributes) {
    sigset_t none, every;
    sigemptyset(&none);
    sigfillset(&every);
    // Linux refuses sigaction() on these two even for SIG_DFL; neither can have been changed.
    sigdelset(&every, SIGKILL);
    sigdelset(&every, SIGSTOP);
    int rc = posix_spawnattr_setflags(attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                      POSIX_SPAWN_SETSIGDEF);
    if (rc == 0) rc = posix_spawnattr_setpgroup(attributes, 0);
    if (rc == 0) rc = posix_spawnattr_setsigmask(attributes, &none);
    if (rc == 0) rc = posix_spawnattr_setsigdefault(attributes, &every);
    return rc;
}

static int set_file_actions(posix_spawn_file_actions_t *actions, const char *cwd, int output_fd) {
    int rc = posix_spawn_file_actions_addopen(actions, 0, "/dev/null", O_RDONLY, 0);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(actions, output_fd, 1);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(actions, output_fd, 2);
    if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(actions, 3);
    if (rc == 0) rc = posix_spawn_file_actions_addchdir_np(actions, cwd);
    return rc;
}

int lifeboat_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                   int output_fd, pid_t *pid) {
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_t actions;
    int rc = posix_spawnattr_init(&attributes);
    if (rc != 0) return rc;
    rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) {
        posix_spawnattr_destroy(&attributes);
        return rc;
    }
    rc = set_attributes(&attributes);
    if (rc == 0) rc = set_file_actions(&actions, cwd, output_fd);
    if (rc == 0) rc = posix_spawn(pid, path, &actions, &attributes, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    return rc;
}

int lifeboat_pipe(int fds[2]) {
    return pipe2(fds, O_CLOEXEC) == 0 ? 0 : errno;
}
