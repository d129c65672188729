/*
 * tsc-compose-shim: the one piece of tsc-compose that is not TypeScript.
 *
 * It carries out, step by step, a container spec that TypeScript prepared,
 * doing what Node cannot do between fork and exec, and then stays behind as
 * the container's monitor (a conmon-sized process) so containers outlive the
 * engine. It decides nothing: every path, flag, mask and id comes from the spec.
 *
 *   tsc-compose-shim run SPEC    create and start a container, then monitor it
 *   tsc-compose-shim exec SPEC   run a process inside a running container
 *
 * The spec is a text file, one directive per line: NAME<TAB>ARG<TAB>ARG...,
 * arguments escaped with \t, \n and \\.
 *
 * Protocol of `run` on stdout (lines), stdin carries "go":
 *   pid N            container PID 1 exists (host pid); TS places it in cgroups
 *   (TS writes "go\n" on stdin)
 *   started N M      the user's command is running; M is this monitor's pid
 *   error STEP ERRNO MESSAGE   a step failed; nothing is left running
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <termios.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/capability.h>
#include <linux/openat2.h>

#define MAX_DIRECTIVES 4096
#define MAX_ARGS 8

struct directive {
    char *name;
    char *arg[MAX_ARGS];
    int nargs;
};

static struct directive spec[MAX_DIRECTIVES];
static void attach_terminal(unsigned short rows, unsigned short cols);
static int nspec;
static int error_fd = -1; /* child → shim: failure records (CLOEXEC, so EOF means exec succeeded) */

/* ---- failure reporting ------------------------------------------------- */

static void die_step(const char *step, int err, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));

static void die_step(const char *step, int err, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (char *p = msg; *p; p++)
        if (*p == '\n') *p = ' ';
    char line[1400];
    int n = snprintf(line, sizeof line, "error %s %d %s\n", step, err, msg);
    int fd = error_fd >= 0 ? error_fd : STDOUT_FILENO;
    if (write(fd, line, (size_t)n) < 0) { /* nothing left to tell */ }
    _exit(127);
}

/* ---- spec parsing ------------------------------------------------------ */

static char *unescape(char *s)
{
    char *out = s, *in = s;
    while (*in) {
        if (*in == '\\' && in[1]) {
            in++;
            if (*in != 'e') /* \e: the empty string */
                *out++ = *in == 't' ? '\t' : *in == 'n' ? '\n' : *in;
            in++;
        } else {
            *out++ = *in++;
        }
    }
    *out = 0;
    return s;
}

static void load_spec(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die_step("spec", errno, "open %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0) die_step("spec", errno, "stat %s", path);
    char *buf = malloc((size_t)st.st_size + 1);
    if (!buf) die_step("spec", ENOMEM, "read %s", path);
    ssize_t got = 0;
    while (got < st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)(st.st_size - got));
        if (n <= 0) die_step("spec", n < 0 ? errno : EIO, "read %s", path);
        got += n;
    }
    buf[got] = 0;
    close(fd);
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (nspec >= MAX_DIRECTIVES) die_step("spec", E2BIG, "too many directives");
        struct directive *d = &spec[nspec++];
        char *field_save = NULL;
        d->name = strtok_r(line, "\t", &field_save);
        for (char *f = strtok_r(NULL, "\t", &field_save); f && d->nargs < MAX_ARGS; f = strtok_r(NULL, "\t", &field_save))
            d->arg[d->nargs++] = unescape(f);
        if (!d->name) nspec--;
    }
}

static const char *arg(const struct directive *d, int i)
{
    return i < d->nargs ? d->arg[i] : "";
}

/* ---- helpers ----------------------------------------------------------- */

static void write_file(const char *step, const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) die_step(step, errno, "open %s", path);
    size_t len = strlen(value);
    if (write(fd, value, len) != (ssize_t)len) die_step(step, errno, "write %s to %s", value, path);
    close(fd);
}

static int ns_flag(const char *name)
{
    if (!strcmp(name, "mnt")) return CLONE_NEWNS;
    if (!strcmp(name, "uts")) return CLONE_NEWUTS;
    if (!strcmp(name, "ipc")) return CLONE_NEWIPC;
    if (!strcmp(name, "net")) return CLONE_NEWNET;
    if (!strcmp(name, "pid")) return CLONE_NEWPID;
    if (!strcmp(name, "cgroup")) return CLONE_NEWCGROUP;
    die_step("spec", EINVAL, "unknown namespace %s", name);
}

/* Opens `path` inside `root` (symlinks resolved as if root were /), creating missing directories. */
static int open_in_root(int rootfd, const char *path, int create, int as_file)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
    int fd = (int)syscall(SYS_openat2, rootfd, buf, &how, sizeof how);
    if (fd >= 0 || !create || errno != ENOENT) return fd;
    /* Create each missing component, resolving within the root at every step. */
    char partial[PATH_MAX] = "";
    char *save = NULL;
    char copy[PATH_MAX];
    snprintf(copy, sizeof copy, "%s", path);
    char *next = NULL;
    for (char *part = strtok_r(copy, "/", &save); part; part = next) {
        next = strtok_r(NULL, "/", &save);
        strncat(partial, "/", sizeof partial - strlen(partial) - 1);
        strncat(partial, part, sizeof partial - strlen(partial) - 1);
        int existing = (int)syscall(SYS_openat2, rootfd, partial, &how, sizeof how);
        if (existing >= 0) { close(existing); continue; }
        if (errno != ENOENT) return -1;
        char parent[PATH_MAX];
        snprintf(parent, sizeof parent, "%s", partial);
        char *slash = strrchr(parent, '/');
        *slash = 0;
        int pfd = (int)syscall(SYS_openat2, rootfd, parent[0] ? parent : "/", &how, sizeof how);
        if (pfd < 0) return -1;
        int ok;
        if (!next && as_file) {
            int f = openat(pfd, part, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
            ok = f >= 0 ? (close(f), 0) : -1;
        } else {
            ok = mkdirat(pfd, part, 0755);
        }
        close(pfd);
        if (ok < 0 && errno != EEXIST) return -1;
    }
    return (int)syscall(SYS_openat2, rootfd, buf, &how, sizeof how);
}

/* ---- container steps (in PID 1, before exec) --------------------------- */

/* A new network namespace starts with `lo` down; containers expect it up. */
static void loopback_up(void)
{
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) die_step("loopback", errno, "socket");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) die_step("loopback", errno, "get flags of lo");
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) die_step("loopback", errno, "bring lo up");
    close(sock);
}

static const char *rootfs;
static int rootfd = -1;

static void do_mount(const struct directive *d)
{
    /* mount SOURCE TARGET FSTYPE FLAGS DATA KIND(dir|file) */
    const char *source = arg(d, 0), *target = arg(d, 1), *fstype = arg(d, 2), *data = arg(d, 4);
    unsigned long flags = strtoul(arg(d, 3), NULL, 0);
    int as_file = !strcmp(arg(d, 5), "file");
    const unsigned long propagation_bits = MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE;
    const unsigned long per_mount_bits = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
    int fd = open_in_root(rootfd, target, 1, as_file);
    if (fd < 0) die_step("mount", errno, "%s on %s: cannot create the mount point", source, target);
    char procpath[64];
    snprintf(procpath, sizeof procpath, "/proc/self/fd/%d", fd);
    if (flags & MS_BIND) {
        if (mount(source, procpath, NULL, flags & (MS_BIND | MS_REC), NULL) < 0) die_step("mount", errno, "bind %s on %s", source, target);
    } else if (mount(source, procpath, fstype[0] ? fstype : NULL, flags & ~propagation_bits, data[0] ? data : NULL) < 0) {
        die_step("mount", errno, "%s (%s) on %s", source, fstype, target);
    }
    close(fd);
    unsigned long rest = flags & per_mount_bits;
    unsigned long propagation = flags & propagation_bits;
    if (!(flags & MS_BIND && rest) && !propagation) return;
    /* Reopen: the path now resolves to the new mount, which is what remount and propagation act on. */
    fd = open_in_root(rootfd, target, 0, as_file);
    if (fd < 0) die_step("mount", errno, "reopen %s", target);
    snprintf(procpath, sizeof procpath, "/proc/self/fd/%d", fd);
    if (flags & MS_BIND && rest && mount(NULL, procpath, NULL, MS_BIND | MS_REMOUNT | rest, NULL) < 0)
        die_step("mount", errno, "remount %s with its flags", target);
    if (propagation && mount(NULL, procpath, NULL, propagation | (flags & MS_REC), NULL) < 0)
        die_step("mount", errno, "set propagation of %s", target);
    close(fd);
}

static void do_symlink(const struct directive *d)
{
    /* symlink TARGET LINKPATH */
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", arg(d, 1));
    char *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : dir;
    if (slash) *slash = 0;
    int pfd = open_in_root(rootfd, dir[0] ? dir : "/", 1, 0);
    if (pfd < 0) die_step("symlink", errno, "%s", arg(d, 1));
    if (symlinkat(arg(d, 0), pfd, base) < 0 && errno != EEXIST) die_step("symlink", errno, "%s -> %s", arg(d, 1), arg(d, 0));
    close(pfd);
}

static void do_pivot(void)
{
    if (chdir(rootfs) < 0) die_step("pivot_root", errno, "chdir %s", rootfs);
    if (syscall(SYS_pivot_root, ".", ".") < 0) die_step("pivot_root", errno, "%s", rootfs);
    if (umount2(".", MNT_DETACH) < 0) die_step("pivot_root", errno, "detach the old root");
    if (chdir("/") < 0) die_step("pivot_root", errno, "chdir /");
}

static void mask_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0) return; /* nothing to hide */
    if (S_ISDIR(st.st_mode)) {
        if (mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0") < 0) die_step("mask", errno, "%s", path);
    } else if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0) {
        die_step("mask", errno, "%s", path);
    }
}

static void readonly_path(const char *path)
{
    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
        if (errno == ENOENT) return;
        die_step("readonly", errno, "%s", path);
    }
    if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        die_step("readonly", errno, "%s", path);
}

static int rlimit_resource(const char *name)
{
    static const struct { const char *n; int r; } table[] = {
        {"core", RLIMIT_CORE}, {"cpu", RLIMIT_CPU}, {"data", RLIMIT_DATA}, {"fsize", RLIMIT_FSIZE},
        {"locks", RLIMIT_LOCKS}, {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE},
        {"nice", RLIMIT_NICE}, {"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC}, {"rss", RLIMIT_RSS},
        {"rtprio", RLIMIT_RTPRIO}, {"rttime", RLIMIT_RTTIME}, {"sigpending", RLIMIT_SIGPENDING}, {"stack", RLIMIT_STACK},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(table[i].n, name)) return table[i].r;
    die_step("rlimit", EINVAL, "unknown ulimit %s", name);
}

static void set_caps(uint64_t keep)
{
    for (int cap = 0; cap <= 63; cap++) {
        if (keep & (1ULL << cap)) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) die_step("capabilities", errno, "drop %d from the bounding set", cap);
    }
}

static void apply_capset(uint64_t keep)
{
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    /* Inheritable stays empty, as in Docker since 20.10. */
    data[0].effective = data[0].permitted = (uint32_t)keep;
    data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
    if (syscall(SYS_capset, &header, data) < 0) die_step("capabilities", errno, "capset");
}

/*
 * `init: true`: PID 1 stays a tiny init that forwards signals to the command
 * and reaps every orphan, exiting with the command's status, so a shell that
 * ignores SIGTERM as PID 1 still stops and zombies do not pile up.
 */
static void run_as_init(void)
{
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    pid_t child = fork();
    if (child < 0) die_step("init", errno, "fork the command");
    if (child == 0) {
        sigprocmask(SIG_UNBLOCK, &all, NULL);
        setsid();
        if (isatty(STDIN_FILENO)) ioctl(STDIN_FILENO, TIOCSCTTY, 1);
        return; /* the caller execs the command */
    }
    /* Errors after this point belong to the command, not to the start. */
    if (error_fd >= 0) { close(error_fd); error_fd = -1; }
    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(&all, &info);
        if (sig < 0) continue;
        if (sig != SIGCHLD) {
            kill(-child, sig);
            kill(child, sig);
            continue;
        }
        int status;
        pid_t done;
        while ((done = waitpid(-1, &status, WNOHANG)) > 0) {
            if (done == child) _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        }
    }
}

/* execvpe with the container's PATH, reporting "not found" the way Docker does. */
static void exec_command(char **argv, char **envp)
{
    const char *cmd = argv[0];
    if (!cmd) die_step("exec", EINVAL, "no command");
    if (strchr(cmd, '/')) {
        execve(cmd, argv, envp);
        die_step("exec", errno, "exec \"%s\": %s", cmd, strerror(errno));
    }
    const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (char **e = envp; *e; e++)
        if (!strncmp(*e, "PATH=", 5)) path = *e + 5;
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", path);
    int last = ENOENT;
    char *save = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        char full[PATH_MAX];
        snprintf(full, sizeof full, "%s/%s", *dir ? dir : ".", cmd);
        execve(full, argv, envp);
        if (errno != ENOENT && errno != ENOTDIR) last = errno;
    }
    if (last == ENOENT) die_step("exec", ENOENT, "exec \"%s\": executable file not found in $PATH", cmd);
    die_step("exec", last, "exec \"%s\": %s", cmd, strerror(last));
}

/* Everything PID 1 does between "go" and exec, in the order the kernel needs. */
static void container_init(int unshare_flags, int go_fd)
{
    char go[8];
    ssize_t n = read(go_fd, go, sizeof go);
    if (n <= 0) _exit(126); /* the engine gave up: leave quietly */
    close(go_fd);

    if (unshare_flags && unshare(unshare_flags) < 0) die_step("unshare", errno, "namespaces 0x%x", unshare_flags);
    if (unshare_flags & CLONE_NEWNET) loopback_up();
    if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) die_step("mount", errno, "make / rslave");

    char **argv = calloc(MAX_DIRECTIVES + 1, sizeof *argv);
    char **envp = calloc(MAX_DIRECTIVES + 1, sizeof *envp);
    int argc = 0, envc = 0;
    uint64_t caps = 0;
    int have_caps = 0, no_new_privs = 0;
    long uid = 0, gid = 0;
    gid_t groups[64];
    int ngroups = 0;
    const char *cwd = "/";
    int readonly_root = 0, init = 0, tty = 0;
    unsigned short tty_rows = 0, tty_cols = 0;

    for (int i = 0; i < nspec; i++) {
        struct directive *d = &spec[i];
        if (!strcmp(d->name, "rootfs")) {
            rootfs = arg(d, 0);
            /* The root file system: an overlay (lower/upper/work) or a directory bound on itself. */
            if (!strcmp(arg(d, 1), "overlay")) {
                if (mount("overlay", rootfs, "overlay", 0, arg(d, 2)) < 0) die_step("mount", errno, "overlay on %s", rootfs);
            } else if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0) {
                die_step("mount", errno, "bind %s on itself", rootfs);
            }
            rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
            if (rootfd < 0) die_step("rootfs", errno, "open %s", rootfs);
        } else if (!strcmp(d->name, "mount")) {
            do_mount(d);
        } else if (!strcmp(d->name, "symlink")) {
            do_symlink(d);
        } else if (!strcmp(d->name, "hostname")) {
            if (sethostname(arg(d, 0), strlen(arg(d, 0))) < 0) die_step("hostname", errno, "%s", arg(d, 0));
        } else if (!strcmp(d->name, "domainname")) {
            if (setdomainname(arg(d, 0), strlen(arg(d, 0))) < 0) die_step("domainname", errno, "%s", arg(d, 0));
        } else if (!strcmp(d->name, "readonly_root")) {
            readonly_root = 1;
        } else if (!strcmp(d->name, "init")) {
            init = 1;
        } else if (!strcmp(d->name, "tty")) {
            tty = 1;
            tty_rows = (unsigned short)atoi(arg(d, 0));
            tty_cols = (unsigned short)atoi(arg(d, 1));
        } else if (!strcmp(d->name, "arg")) {
            argv[argc++] = d->arg[0] ? d->arg[0] : "";
        } else if (!strcmp(d->name, "env")) {
            envp[envc++] = d->arg[0] ? d->arg[0] : "";
        } else if (!strcmp(d->name, "cwd")) {
            cwd = arg(d, 0);
        } else if (!strcmp(d->name, "caps")) {
            caps = strtoull(arg(d, 0), NULL, 16);
            have_caps = 1;
        } else if (!strcmp(d->name, "no_new_privs")) {
            no_new_privs = 1;
        } else if (!strcmp(d->name, "user")) {
            uid = strtol(arg(d, 0), NULL, 10);
            gid = strtol(arg(d, 1), NULL, 10);
            char groups_copy[1024];
            snprintf(groups_copy, sizeof groups_copy, "%s", arg(d, 2));
            char *save = NULL;
            for (char *g = strtok_r(groups_copy, ",", &save); g && ngroups < 64; g = strtok_r(NULL, ",", &save))
                groups[ngroups++] = (gid_t)strtol(g, NULL, 10);
        }
    }
    if (!rootfs) die_step("spec", EINVAL, "no rootfs");
    /* A working directory the image lacks is created, as Docker does. */
    if (strcmp(cwd, "/")) {
        int fd = open_in_root(rootfd, cwd, 1, 0);
        if (fd < 0) die_step("cwd", errno, "create working directory %s", cwd);
        close(fd);
    }

    do_pivot();
    /* Paths below are inside the container now. Sysctls go first: /proc/sys turns read-only next. */
    for (int i = 0; i < nspec; i++) {
        struct directive *d = &spec[i];
        if (!strcmp(d->name, "sysctl")) {
            char path[PATH_MAX];
            snprintf(path, sizeof path, "/proc/sys/%s", arg(d, 0));
            for (char *p = path + 10; *p; p++)
                if (*p == '.') *p = '/';
            write_file("sysctl", path, arg(d, 1));
        } else if (!strcmp(d->name, "rlimit")) {
            struct rlimit rl = { .rlim_cur = strtoull(arg(d, 1), NULL, 10), .rlim_max = strtoull(arg(d, 2), NULL, 10) };
            if (setrlimit(rlimit_resource(arg(d, 0)), &rl) < 0) die_step("rlimit", errno, "%s=%s:%s", arg(d, 0), arg(d, 1), arg(d, 2));
        } else if (!strcmp(d->name, "oom_score_adj")) {
            write_file("oom_score_adj", "/proc/self/oom_score_adj", arg(d, 0));
        }
    }
    for (int i = 0; i < nspec; i++) {
        struct directive *d = &spec[i];
        if (!strcmp(d->name, "mask")) mask_path(arg(d, 0));
        else if (!strcmp(d->name, "readonly")) readonly_path(arg(d, 0));
    }
    if (readonly_root && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
        die_step("mount", errno, "remount / read-only");
    if (tty) attach_terminal(tty_rows, tty_cols);

    if (chdir(cwd) < 0) die_step("cwd", errno, "chdir %s", cwd);
    if (setgroups((size_t)ngroups, groups) < 0) die_step("user", errno, "setgroups");
    if (setgid((gid_t)gid) < 0) die_step("user", errno, "setgid %ld", gid);
    if (have_caps) set_caps(caps);
    if (no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die_step("no_new_privs", errno, "prctl");
    if (uid != 0) {
        if (setuid((uid_t)uid) < 0) die_step("user", errno, "setuid %ld", uid);
    } else if (have_caps) {
        apply_capset(caps);
    }
    for (int fd = 0; fd <= 2; fd++) {
        int flags = fcntl(fd, F_GETFD);
        if (flags >= 0) fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
    argv[argc] = NULL;
    envp[envc] = NULL;
    if (init) run_as_init();
    exec_command(argv, envp);
}

/* ---- terminals ------------------------------------------------------------ */

static void send_fd(int sock, int fd)
{
    char data = 't';
    struct iovec iov = { .iov_base = &data, .iov_len = 1 };
    char control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof control);
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
    if (sendmsg(sock, &msg, 0) < 0) die_step("tty", errno, "hand the terminal to the monitor");
}

static int recv_fd(int sock)
{
    char data;
    struct iovec iov = { .iov_base = &data, .iov_len = 1 };
    char control[CMSG_SPACE(sizeof(int))];
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
    if (recvmsg(sock, &msg, MSG_DONTWAIT) <= 0) return -1;
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS) return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
    return fd;
}

static int tty_sock = -1; /* child → monitor: the terminal's master side */

/* In PID 1 after pivot_root: a terminal from the container's devpts becomes its stdio. */
static void attach_terminal(unsigned short rows, unsigned short cols)
{
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    char name[128];
    if (master < 0 || unlockpt(master) < 0 || ptsname_r(master, name, sizeof name) != 0) die_step("tty", errno, "allocate a terminal");
    if (rows && cols) {
        struct winsize ws = { .ws_row = rows, .ws_col = cols };
        ioctl(master, TIOCSWINSZ, &ws);
    }
    if (setsid() < 0) die_step("tty", errno, "setsid");
    int slave = open(name, O_RDWR);
    if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) < 0) die_step("tty", errno, "open %s", name);
    send_fd(tty_sock, master);
    close(master);
    if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0) die_step("tty", errno, "stdio on %s", name);
    if (slave > 2) close(slave);
}

/* ---- the monitor -------------------------------------------------------- */

static void timestamp(char *buf, size_t len)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%09ldZ", ts.tv_nsec);
}

static int console_fd = -1; /* the engine's end of an attached terminal, while it listens */
static volatile sig_atomic_t monitor_winch;
static void on_monitor_winch(int sig) { (void)sig; monitor_winch = 1; }

struct stream {
    int fd;
    const char *name;
    char pending[16384];
    size_t used;
};

/* One log record per line: TIMESTAMP STREAM F|P TEXT (P = partial line, as CRI logs have it). */
static void log_line(int log_fd, const char *stream, const char *text, size_t len, int partial)
{
    char ts[64];
    timestamp(ts, sizeof ts);
    char head[128];
    int n = snprintf(head, sizeof head, "%s %s %c ", ts, stream, partial ? 'P' : 'F');
    if (write(log_fd, head, (size_t)n) < 0 || write(log_fd, text, len) < 0 || write(log_fd, "\n", 1) < 0) { /* disk full: keep running */ }
}

static void drain(struct stream *s, int log_fd, int final)
{
    for (;;) {
        ssize_t n = read(s->fd, s->pending + s->used, sizeof s->pending - s->used);
        if (n > 0) {
            if (console_fd >= 0 && write(console_fd, s->pending + s->used, (size_t)n) < 0) {
                close(console_fd);
                console_fd = -1;
            }
            s->used += (size_t)n;
            size_t start = 0;
            for (size_t i = 0; i < s->used; i++) {
                if (s->pending[i] == '\n') {
                    log_line(log_fd, s->name, s->pending + start, i - start, 0);
                    start = i + 1;
                }
            }
            memmove(s->pending, s->pending + start, s->used - start);
            s->used -= start;
            if (s->used == sizeof s->pending) {
                log_line(log_fd, s->name, s->pending, s->used, 1);
                s->used = 0;
            }
            continue;
        }
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
            if (s->used) log_line(log_fd, s->name, s->pending, s->used, 1);
            s->used = 0;
            close(s->fd);
            s->fd = -1;
        }
        if (!final || s->fd < 0) return;
        if (n < 0 && errno == EAGAIN) return;
    }
}

static void write_status(const char *path, int status)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return;
    char ts[64];
    timestamp(ts, sizeof ts);
    char buf[256];
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    int n = snprintf(buf, sizeof buf, "exit_code %d\nsignal %d\nfinished_at %s\n", code, sig, ts);
    if (write(fd, buf, (size_t)n) == n) fsync(fd);
    close(fd);
    rename(tmp, path);
}

static int cmd_run(const char *spec_path)
{
    load_spec(spec_path);
    int unshare_flags = 0, pidns = 0;
    const char *log_path = NULL, *status_path = NULL, *pid_path = NULL;
    int stdin_fd = -1; /* an fd the engine passed us that becomes the container's stdin */
    int console_in = -1, console_out = -1, want_tty = 0; /* with a terminal: engine <-> monitor <-> master */
    const char *winsize_path = NULL;
    for (int i = 0; i < nspec; i++) {
        struct directive *d = &spec[i];
        if (!strcmp(d->name, "ns")) {
            int f = ns_flag(arg(d, 0));
            if (f == CLONE_NEWPID) pidns = 1;
            else unshare_flags |= f;
        } else if (!strcmp(d->name, "join")) {
            int fd = open(arg(d, 1), O_RDONLY | O_CLOEXEC);
            if (fd < 0 || setns(fd, 0) < 0) die_step("setns", errno, "%s %s", arg(d, 0), arg(d, 1));
            close(fd);
        } else if (!strcmp(d->name, "log")) log_path = arg(d, 0);
        else if (!strcmp(d->name, "status")) status_path = arg(d, 0);
        else if (!strcmp(d->name, "pidfile")) pid_path = arg(d, 0);
        else if (!strcmp(d->name, "stdin_fd")) stdin_fd = atoi(arg(d, 0));
        else if (!strcmp(d->name, "tty")) want_tty = 1;
        else if (!strcmp(d->name, "console")) { console_in = atoi(arg(d, 0)); console_out = atoi(arg(d, 1)); }
        else if (!strcmp(d->name, "winsize_file")) winsize_path = arg(d, 0);
    }
    if (!log_path || !status_path) die_step("spec", EINVAL, "log and status paths are required");
    int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (log_fd < 0) die_step("log", errno, "open %s", log_path);

    int go[2], err[2], out[2], errp[2];
    if (pipe2(go, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)
        die_step("pipe", errno, "sync pipes");
    int ttys[2] = { -1, -1 };
    if (want_tty && socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, ttys) < 0) die_step("tty", errno, "socketpair");
    if (pidns && unshare(CLONE_NEWPID) < 0) die_step("unshare", errno, "pid namespace");

    pid_t child = fork();
    if (child < 0) die_step("fork", errno, "container process");
    if (child == 0) {
        close(go[1]);
        close(err[0]);
        close(out[0]);
        close(errp[0]);
        error_fd = err[1];
        if (want_tty) { close(ttys[0]); tty_sock = ttys[1]; }
        if (console_in >= 0) close(console_in);
        if (console_out >= 0) close(console_out);
        int in = stdin_fd >= 0 ? stdin_fd : open("/dev/null", O_RDONLY);
        if (in < 0 || dup2(in, 0) < 0 || dup2(out[1], 1) < 0 || dup2(errp[1], 2) < 0) die_step("stdio", errno, "set up stdio");
        if (in > 2) close(in);
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        container_init(unshare_flags, go[0]);
    }
    close(go[0]);
    close(err[1]);
    close(out[1]);
    close(errp[1]);
    if (stdin_fd >= 0) close(stdin_fd); /* only the container holds it now */
    if (want_tty) close(ttys[1]);
    printf("pid %d\n", child);
    fflush(stdout);

    char line[64];
    if (!fgets(line, sizeof line, stdin) || strncmp(line, "go", 2)) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        return 1;
    }
    if (write(go[1], "go", 2) != 2) die_step("sync", errno, "release the container process");
    close(go[1]);

    char failure[1500];
    ssize_t n = read(err[0], failure, sizeof failure - 1);
    close(err[0]);
    if (n > 0) {
        failure[n] = 0;
        waitpid(child, NULL, 0);
        fputs(failure, stdout);
        fflush(stdout);
        return 1;
    }
    /* exec succeeded: detach from the engine and monitor. */
    if (pid_path) {
        char tmp[PATH_MAX], buf[32];
        snprintf(tmp, sizeof tmp, "%s.tmp", pid_path);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        int len = snprintf(buf, sizeof buf, "%d %d\n", child, getpid());
        if (fd >= 0 && write(fd, buf, (size_t)len) == len) { close(fd); rename(tmp, pid_path); }
    }
    printf("started %d %d\n", child, getpid());
    fflush(stdout);
    signal(SIGPIPE, SIG_IGN);
    int null_fd = open("/dev/null", O_RDWR);
    dup2(null_fd, 0);
    dup2(null_fd, 1);
    if (null_fd > 2) close(null_fd);

    struct stream streams[2] = { { out[0], "stdout", {0}, 0 }, { errp[0], "stderr", {0}, 0 } };
    /* Non-blocking: a quiet stream must never hold up the other, or the terminal's input. */
    fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
    fcntl(errp[0], F_SETFL, fcntl(errp[0], F_GETFL) | O_NONBLOCK);
    int master = -1;
    if (want_tty) {
        master = recv_fd(ttys[0]);
        close(ttys[0]);
        if (master < 0) { kill(child, SIGKILL); die_step("tty", EPROTO, "no terminal from the container"); }
        fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
        /* The terminal carries both streams; the pipes stay quiet. */
        close(streams[0].fd);
        close(streams[1].fd);
        streams[0].fd = master;
        streams[1].fd = -1;
        console_fd = console_out;
        signal(SIGWINCH, on_monitor_winch);
    }
    for (;;) {
        if (monitor_winch && winsize_path && master >= 0) {
            monitor_winch = 0;
            FILE *f = fopen(winsize_path, "re");
            unsigned rows = 0, cols = 0;
            if (f) {
                if (fscanf(f, "%u %u", &rows, &cols) == 2) {
                    struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
                    ioctl(master, TIOCSWINSZ, &ws);
                }
                fclose(f);
            }
        }
        struct pollfd pfd[3];
        int nfds = 0;
        for (int i = 0; i < 2; i++)
            if (streams[i].fd >= 0) pfd[nfds++] = (struct pollfd){ .fd = streams[i].fd, .events = POLLIN };
        if (nfds == 0) break;
        int with_console = master >= 0 && console_in >= 0;
        if (with_console) pfd[nfds++] = (struct pollfd){ .fd = console_in, .events = POLLIN };
        if (poll(pfd, (nfds_t)nfds, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (streams[i].fd < 0) continue;
            for (int j = 0; j < nfds; j++)
                if (pfd[j].fd == streams[i].fd && pfd[j].revents) drain(&streams[i], log_fd, 0);
        }
        if (with_console && pfd[nfds - 1].revents) {
            char buf[4096];
            ssize_t n = read(console_in, buf, sizeof buf);
            if (n <= 0) { close(console_in); console_in = -1; }
            else if (write(master, buf, (size_t)n) < 0) { close(console_in); console_in = -1; }
        }
    }
    if (console_fd >= 0) close(console_fd);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    write_status(status_path, status);
    return 0;
}

/* ---- exec into a running container -------------------------------------- */

static volatile sig_atomic_t winch;
static void on_winch(int sig) { (void)sig; winch = 1; }

/* Our terminal (raw) <-> the container's terminal, until the process closes it. */
static void relay_terminal(int master, pid_t child)
{
    (void)child;
    struct termios saved;
    int raw = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
    if (raw) {
        struct termios t = saved;
        cfmakeraw(&t);
        tcsetattr(STDIN_FILENO, TCSANOW, &t);
        signal(SIGWINCH, on_winch);
    }
    char buf[8192];
    int in_open = 1;
    for (;;) {
        if (winch) {
            winch = 0;
            struct winsize ws;
            if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) ioctl(master, TIOCSWINSZ, &ws);
        }
        struct pollfd p[2] = { { .fd = master, .events = POLLIN }, { .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN } };
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (p[0].revents) {
            ssize_t n = read(master, buf, sizeof buf);
            if (n <= 0) break; /* EIO: every holder of the terminal is gone */
            if (write(STDOUT_FILENO, buf, (size_t)n) < 0) break;
        }
        if (in_open && p[1].revents) {
            ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
            if (n <= 0) {
                in_open = 0;
                char eot = 4; /* end of input reaches the program as ^D */
                if (write(master, &eot, 1) < 0) break;
            } else if (write(master, buf, (size_t)n) < 0) {
                break;
            }
        }
    }
    if (raw) tcsetattr(STDIN_FILENO, TCSANOW, &saved);
}

static int cmd_exec(const char *spec_path)
{
    load_spec(spec_path);
    const char *target = NULL;
    for (int i = 0; i < nspec; i++)
        if (!strcmp(spec[i].name, "target")) target = arg(&spec[i], 0);
    if (!target) die_step("spec", EINVAL, "no target pid");
    for (int i = 0; i < nspec; i++)
        if (!strcmp(spec[i].name, "cgroup")) {
            char self[32];
            snprintf(self, sizeof self, "%d", getpid());
            write_file("cgroup", arg(&spec[i], 0), self);
        }
    /* mnt last: the paths of the other namespaces are host paths. */
    static const char *order[] = { "cgroup", "ipc", "uts", "net", "pid", "mnt" };
    int fds[6];
    for (int i = 0; i < 6; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "/proc/%s/ns/%s", target, order[i]);
        fds[i] = open(path, O_RDONLY | O_CLOEXEC);
        if (fds[i] < 0) die_step("exec", errno, "open %s (is the container running?)", path);
    }
    for (int i = 0; i < 6; i++) {
        if (setns(fds[i], 0) < 0) die_step("setns", errno, "%s of pid %s", order[i], target);
        close(fds[i]);
    }
    int want_tty = 0;
    for (int i = 0; i < nspec; i++)
        if (!strcmp(spec[i].name, "tty")) want_tty = 1;
    /* A terminal from the container's own devpts instance (we are in its mount namespace now). */
    int master = -1;
    char slave_name[128] = "";
    if (want_tty) {
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0 || unlockpt(master) < 0 || ptsname_r(master, slave_name, sizeof slave_name) != 0)
            die_step("tty", errno, "allocate a terminal in the container");
        struct winsize ws;
        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) ioctl(master, TIOCSWINSZ, &ws);
    }
    pid_t child = fork();
    if (child < 0) die_step("fork", errno, "exec process");
    if (child == 0) {
        if (want_tty) {
            setsid();
            int slave = open(slave_name, O_RDWR);
            if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) < 0) die_step("tty", errno, "open %s", slave_name);
            dup2(slave, 0);
            dup2(slave, 1);
            dup2(slave, 2);
            if (slave > 2) close(slave);
        }
        char **argv = calloc(MAX_DIRECTIVES + 1, sizeof *argv);
        char **envp = calloc(MAX_DIRECTIVES + 1, sizeof *envp);
        int argc = 0, envc = 0;
        uint64_t caps = 0;
        int have_caps = 0, no_new_privs = 0;
        long uid = 0, gid = 0;
        const char *cwd = "/";
        for (int i = 0; i < nspec; i++) {
            struct directive *d = &spec[i];
            if (!strcmp(d->name, "arg")) argv[argc++] = d->arg[0] ? d->arg[0] : "";
            else if (!strcmp(d->name, "env")) envp[envc++] = d->arg[0] ? d->arg[0] : "";
            else if (!strcmp(d->name, "cwd")) cwd = arg(d, 0);
            else if (!strcmp(d->name, "caps")) { caps = strtoull(arg(d, 0), NULL, 16); have_caps = 1; }
            else if (!strcmp(d->name, "no_new_privs")) no_new_privs = 1;
            else if (!strcmp(d->name, "user")) { uid = strtol(arg(d, 0), NULL, 10); gid = strtol(arg(d, 1), NULL, 10); }
        }
        if (chdir(cwd) < 0) die_step("cwd", errno, "chdir %s", cwd);
        if (setgroups(0, NULL) < 0 || setgid((gid_t)gid) < 0) die_step("user", errno, "setgid %ld", gid);
        if (have_caps) set_caps(caps);
        if (no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die_step("no_new_privs", errno, "prctl");
        if (uid != 0 && setuid((uid_t)uid) < 0) die_step("user", errno, "setuid %ld", uid);
        if (uid == 0 && have_caps) apply_capset(caps);
        argv[argc] = NULL;
        envp[envc] = NULL;
        exec_command(argv, envp);
    }
    int status = 0;
    signal(SIGINT, SIG_IGN);
    if (want_tty) relay_terminal(master, child);
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: tsc-compose-shim run|exec SPEC\n");
        return 2;
    }
    if (!strcmp(argv[1], "run")) return cmd_run(argv[2]);
    if (!strcmp(argv[1], "exec")) return cmd_exec(argv[2]);
    fprintf(stderr, "tsc-compose-shim: unknown command %s\n", argv[1]);
    return 2;
}
