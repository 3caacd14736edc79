#ifndef LIFEBOAT_SPAWN_H
#define LIFEBOAT_SPAWN_H

#include <sys/types.h>

/// Starts the program at the absolute `path` with `argv` and `envp` (both NULL-terminated) in the
/// folder `cwd`, as the leader of a new process group (its pid is the group id), with stdin from
/// /dev/null, stdout and stderr both on `output_fd`, no signal blocked, every signal's disposition
/// back to default, and every other descriptor closed. One posix_spawn: no fork of this process's
/// threads, no shell.
///
/// Returns 0 and sets `*pid`, or the errno value of the step that failed (ENOENT for a missing
/// `cwd` as well as a missing program).
int lifeboat_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                   int output_fd, pid_t *pid);

/// A pipe whose two ends close on exec (pipe2 with O_CLOEXEC). Returns 0, or an errno value.
int lifeboat_pipe(int fds[2]);

#endif
