/*
 * tsc-compose-shim: the one piece of tsc-compose that is not TypeScript.
 *
 * It carries out, step by step, a container spec that TypeScript prepared,
 * doing what Node cannot do between fork and exec, and then stays behind as
 * the container's monitor (a conmon-sized process) so containers outlive the
 * engine. It decides nothing: every path, flag, mask and id comes from the
 * spec (src/runtime/process/lowering.ts writes it).
 *
 *   tsc-compose-shim run SPEC     create and start a container, then monitor it
 *   tsc-compose-shim exec SPEC    run a process inside a running container
 *   tsc-compose-shim init CMD...  a reaping, signal-forwarding PID 1 for CMD
 *
 * The spec is a text file, one directive per line: NAME<TAB>ARG<TAB>ARG...,
 * arguments escaped with \t, \n and \\; the empty string is \e.
 *
 * Protocol of `run`: replies on stdout (lines), "go" on stdin.
 *   pid N                 PID 1 exists (host pid) and waits; TS puts it in its cgroups
 *   (TS writes "go\n")
 *   started N M           the user's command runs; M is this monitor's pid
 *   error STEP ERRNO MESSAGE[<TAB>ARGUMENT]
 *                         a step failed (ARGUMENT escaped as in the spec);
 *                         nothing is left running
 * After `started` the monitor writes the container's output to the log file,
 * one record per line:
 *   2026-11-22T10:51:10.003045787Z stdout F text
 * (RFC 3339 UTC with nanoseconds, stdout|stderr, F = the text ended with a
 * newline, P = it did not: the line was longer than 16 KiB, or was still
 * unfinished when the stream ended or had been quiet for 250 ms), and when
 * PID 1 is reaped it replaces the status file atomically:
 *   exit_code N  (signal N: 128+N)
 *   signal N     (0 when it exited)
 *   pid N
 *   finished_at RFC3339
 *
 * `exec` replies the same way on fd 3 when the caller passed one (error
 * records, then "started N"); otherwise errors go to stderr as text. Its exit
 * status is the process's (128+N for a signal; 126/127 when it could not start).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/openat2.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#define MAX_DIRECTIVES 4096
#define MAX_ARGS 8
#define MAX_GROUPS 256
#define LOG_LINE_MAX 16384
#define PARTIAL_FLUSH_MS 250

extern char **environ;

/* ---- failure reporting ------------------------------------------------- */

/*
 * Where failure records go: the engine's reply pipe, or (in PID 1 and in an
 * exec'd child) a CLOEXEC pipe to the shim, whose EOF means execve worked.
 * -1: report as text on stderr (exec without a control fd).
 */
static int report_fd = STDOUT_FILENO;

static void escape_into(char *out, size_t cap, const char *in)
{
    size_t o = 0;
    if (!*in && cap > 2) { out[0] = '\\'; out[1] = 'e'; out[2] = 0; return; }
    for (; *in && o + 3 < cap; in++) {
        char c = *in;
        if (c == '\\' || c == '\t' || c == '\n') {
            out[o++] = '\\';
            out[o++] = c == '\t' ? 't' : c == '\n' ? 'n' : '\\';
        } else {
            out[o++] = c;
        }
    }
    out[o] = 0;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void vreport(const char *step, int err, const char *argument, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\t') *p = ' ';
    char line[2400];
    int n;
    if (report_fd < 0) {
        n = snprintf(line, sizeof line, "tsc-compose-shim: %s %s: %s\n", step, msg, strerror(err));
        if (!strcmp(step, "exec")) n = snprintf(line, sizeof line, "tsc-compose-shim: %s\n", msg);
        if (write_all(STDERR_FILENO, line, (size_t)n) < 0) { /* nowhere left to say it */ }
        return;
    }
    char arg[1024] = "";
    if (argument) escape_into(arg, sizeof arg, argument);
    n = snprintf(line, sizeof line, "error %s %d %s%s%s\n", step, err, msg, argument ? "\t" : "", arg);
    if (n >= (int)sizeof line) { n = sizeof line - 1; line[n - 1] = '\n'; }
    if (write_all(report_fd, line, (size_t)n) < 0) { /* the engine is gone: nothing to tell */ }
}

/* A step failed: say which, on what, with errno, and stop (the process is PID 1 or the shim before `started`). */
static void fail(const char *step, int err, const char *argument, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));
static void fail(const char *step, int err, const char *argument, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(step, err, argument, fmt, ap);
    va_end(ap);
    _exit(127);
}

/* The monitor after `started` has no engine to answer: problems go to stderr (the shim log). */
static void warn(const char *step, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void warn(const char *step, int err, const char *fmt, ...)
{
    char msg[1024], line[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int n = snprintf(line, sizeof line, "tsc-compose-shim[%d]: %s %s: %s\n", getpid(), step, msg, strerror(err));
    if (n >= (int)sizeof line) { n = sizeof line - 1; line[n - 1] = '\n'; }
    if (write_all(STDERR_FILENO, line, (size_t)n) < 0) { /* the shim log is gone too */ }
}

static void xclose(const char *step, int fd)
{
    if (fd >= 0 && close(fd) < 0 && errno != EINTR) fail(step, errno, NULL, "close fd %d", fd);
}

/* ---- the spec ---------------------------------------------------------- */

struct directive {
    char *name;
    char *arg[MAX_ARGS];
    int nargs;
};

static struct directive spec[MAX_DIRECTIVES];
static int nspec;

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
    if (fd < 0) fail("spec", errno, path, "open `%s`", path);
    struct stat st;
    if (fstat(fd, &st) < 0) fail("spec", errno, path, "stat `%s`", path);
    char *buf = malloc((size_t)st.st_size + 1);
    if (!buf) fail("spec", ENOMEM, path, "read `%s`", path);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail("spec", n < 0 ? errno : EIO, path, "read `%s`", path);
        got += (size_t)n;
    }
    buf[got] = 0;
    xclose("spec", fd);
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (nspec >= MAX_DIRECTIVES) fail("spec", E2BIG, path, "more than %d directives", MAX_DIRECTIVES);
        struct directive *d = &spec[nspec];
        char *field_save = NULL;
        d->name = strtok_r(line, "\t", &field_save);
        if (!d->name) continue;
        for (char *f = strtok_r(NULL, "\t", &field_save); f; f = strtok_r(NULL, "\t", &field_save)) {
            if (d->nargs == MAX_ARGS) fail("spec", E2BIG, d->name, "directive `%s` has more than %d arguments", d->name, MAX_ARGS);
            d->arg[d->nargs++] = unescape(f);
        }
        nspec++;
    }
}

static const char *arg(const struct directive *d, int i)
{
    return i < d->nargs ? d->arg[i] : "";
}

static int is(const struct directive *d, const char *name)
{
    return !strcmp(d->name, name);
}

static const struct directive *find(const char *name)
{
    for (int i = 0; i < nspec; i++)
        if (is(&spec[i], name)) return &spec[i];
    return NULL;
}

static unsigned long long num(const struct directive *d, int i)
{
    const char *text = arg(d, i);
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 0);
    if (!*text || *end || errno) fail("spec", EINVAL, text, "`%s`: argument %d is not a number: `%s`", d->name, i + 1, text);
    return v;
}

static long long snum(const struct directive *d, int i)
{
    const char *text = arg(d, i);
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 0);
    if (!*text || *end || errno) fail("spec", EINVAL, text, "`%s`: argument %d is not a number: `%s`", d->name, i + 1, text);
    return v;
}

/* ---- small helpers ------------------------------------------------------ */

static void write_file(const char *step, const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) fail(step, errno, path, "open `%s`", path);
    if (write_all(fd, value, strlen(value)) < 0) fail(step, errno, path, "write `%s` to `%s`", value, path);
    xclose(step, fd);
}

/*
 * Replaces `path` with `content` so a reader sees the old file or the new one
 * (temp file, rename). No fsync: these are runtime files (pid, status) under
 * the run root, which does not outlive the machine's uptime anyway, and an
 * fsync on a disk-backed /run costs milliseconds of every start and exit.
 */
static int write_atomic(const char *path, const char *content)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) { errno = ENAMETOOLONG; return -1; }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    if (write_all(fd, content, strlen(content)) < 0) {
        int saved = errno;
        close(fd);
        unlink(tmp);
        errno = saved;
        return -1;
    }
    if (close(fd) < 0) return -1;
    return rename(tmp, path);
}

static void rfc3339_now(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%09ldZ", ts.tv_nsec);
}

static void set_cloexec(const char *step, int fd, int on)
{
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0 || fcntl(fd, F_SETFD, on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC) < 0)
        fail(step, errno, NULL, "fcntl F_SETFD on fd %d", fd);
}

static int set_nonblock(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static int ns_flag(const char *name)
{
    static const struct { const char *name; int flag; } table[] = {
        {"mnt", CLONE_NEWNS}, {"uts", CLONE_NEWUTS}, {"ipc", CLONE_NEWIPC},
        {"net", CLONE_NEWNET}, {"pid", CLONE_NEWPID}, {"cgroup", CLONE_NEWCGROUP},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(table[i].name, name)) return table[i].flag;
    fail("spec", EINVAL, name, "unknown namespace `%s`", name);
}

/* getppid() right after fork: 0 when the parent is outside our pid namespace. */
static pid_t parent_seen;

/* A child of the shim dies with it (set again after a change of credentials, which clears it). */
static void die_with_parent(void)
{
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail("pdeathsig", errno, NULL, "prctl PR_SET_PDEATHSIG");
    if (getppid() != parent_seen) _exit(126); /* the parent died before we could ask */
}

/* ---- paths inside the root --------------------------------------------- */

static int rootfd = -1;

static int resolve_in_root(const char *path)
{
    struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
    return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

/*
 * Opens `path` as if the rootfs were `/` (symlinks cannot lead out of it).
 * With `create`, missing components become directories and, when `as_file`,
 * the last one an empty file. Returns -1 with errno.
 */
static int open_in_root(const char *path, int create, int as_file)
{
    int fd = resolve_in_root(path);
    if (fd >= 0 || !create || errno != ENOENT) return fd;
    char copy[PATH_MAX], partial[PATH_MAX] = "";
    if (snprintf(copy, sizeof copy, "%s", path) >= (int)sizeof copy) { errno = ENAMETOOLONG; return -1; }
    char *save = NULL, *next = NULL;
    for (char *part = strtok_r(copy, "/", &save); part; part = next) {
        next = strtok_r(NULL, "/", &save);
        size_t plen = strlen(partial);
        char *parent_end = partial + plen;
        if (snprintf(parent_end, sizeof partial - plen, "/%s", part) >= (int)(sizeof partial - plen)) { errno = ENAMETOOLONG; return -1; }
        int existing = resolve_in_root(partial);
        if (existing >= 0) { close(existing); continue; }
        if (errno != ENOENT) return -1;
        /* Each missing component is created in its parent resolved within the root again. */
        *parent_end = 0;
        int pfd = resolve_in_root(plen ? partial : "/");
        *parent_end = '/';
        if (pfd < 0) return -1;
        int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        close(pfd);
        if (dfd < 0) return -1;
        int ok;
        if (!next && as_file) {
            int f = openat(dfd, part, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
            ok = f < 0 ? -1 : close(f);
        } else {
            ok = mkdirat(dfd, part, 0755);
        }
        int saved = errno;
        close(dfd);
        if (ok < 0 && saved != EEXIST) { errno = saved; return -1; }
    }
    return resolve_in_root(path);
}

/* Opens the directory that holds `path` inside the root (created if missing); `*base` is the last component. */
static int open_parent_in_root(const char *step, const char *path, char *buf, size_t len, const char **base)
{
    if (snprintf(buf, len, "%s", path) >= (int)len) fail(step, ENAMETOOLONG, path, "`%s`", path);
    char *slash = strrchr(buf, '/');
    *base = slash ? slash + 1 : buf;
    if (slash) *slash = 0;
    int pfd = open_in_root(slash && buf[0] ? buf : "/", 1, 0);
    if (pfd < 0) fail(step, errno, path, "parent directory of `%s`", path);
    int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) fail(step, errno, path, "parent directory of `%s`", path);
    xclose(step, pfd);
    return dfd;
}

/* ---- container steps (in PID 1, before exec) --------------------------- */

/* A new network namespace starts with `lo` down; containers expect it up. */
static void loopback_up(void)
{
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) fail("loopback", errno, "lo", "socket");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) fail("loopback", errno, "lo", "get the flags of `lo`");
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) fail("loopback", errno, "lo", "bring `lo` up");
    xclose("loopback", sock);
}

static const char *rootfs;

static void mount_rootfs(const struct directive *d)
{
    /* rootfs TARGET overlay|bind OVERLAY-OPTIONS */
    rootfs = arg(d, 0);
    if (!strcmp(arg(d, 1), "overlay")) {
        if (mount("overlay", rootfs, "overlay", 0, arg(d, 2)) < 0) fail("mount", errno, rootfs, "`overlay` on `%s`", rootfs);
    } else if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0) {
        /* pivot_root needs a mount point: the directory bound on itself is one. */
        fail("mount", errno, rootfs, "bind `%s` on itself", rootfs);
    }
    rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) fail("rootfs", errno, rootfs, "open `%s`", rootfs);
}

static void do_mount(const struct directive *d)
{
    /* mount SOURCE TARGET FSTYPE FLAGS DATA KIND(dir|file|none) */
    const char *source = arg(d, 0), *target = arg(d, 1), *fstype = arg(d, 2), *data = arg(d, 4), *kind = arg(d, 5);
    unsigned long flags = (unsigned long)num(d, 3);
    const unsigned long propagation_bits = MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE;
    const unsigned long bind_remount_bits = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME;
    int fd = open_in_root(target, strcmp(kind, "none") != 0, !strcmp(kind, "file"));
    if (fd < 0) fail("mount", errno, target, "`%s` on `%s`: the mount point", source, target);
    char at[64];
    snprintf(at, sizeof at, "/proc/self/fd/%d", fd);
    if (flags & MS_BIND) {
        if (mount(source, at, NULL, flags & (MS_BIND | MS_REC), NULL) < 0) fail("mount", errno, source, "bind `%s` on `%s`", source, target);
    } else if (mount(source, at, fstype[0] ? fstype : NULL, flags & ~propagation_bits, data[0] ? data : NULL) < 0) {
        fail("mount", errno, target, "`%s` (%s) on `%s`", source, fstype, target);
    }
    xclose("mount", fd);
    unsigned long remount = flags & bind_remount_bits;
    unsigned long propagation = flags & propagation_bits;
    if (!((flags & MS_BIND) && remount) && !propagation) return;
    /* Reopened, the path is the new mount, which is what remount and propagation act on. */
    fd = open_in_root(target, 0, 0);
    if (fd < 0) fail("mount", errno, target, "reopen `%s`", target);
    snprintf(at, sizeof at, "/proc/self/fd/%d", fd);
    /* A bind mount takes flags only through a remount. */
    if ((flags & MS_BIND) && remount && mount(NULL, at, NULL, MS_BIND | MS_REMOUNT | remount, NULL) < 0)
        fail("mount", errno, target, "remount `%s` with flags 0x%lx", target, remount);
    if (propagation && mount(NULL, at, NULL, propagation | (flags & MS_REC), NULL) < 0)
        fail("mount", errno, target, "propagation 0x%lx of `%s`", propagation, target);
    xclose("mount", fd);
}

static void make_device(const struct directive *d)
{
    /* device PATH c|b MAJOR MINOR MODE UID GID */
    const char *path = arg(d, 0), *base;
    char buf[PATH_MAX];
    mode_t type = !strcmp(arg(d, 1), "b") ? S_IFBLK : S_IFCHR;
    dev_t dev = makedev((unsigned)num(d, 2), (unsigned)num(d, 3));
    mode_t mode = (mode_t)num(d, 4) & 07777;
    int dfd = open_parent_in_root("device", path, buf, sizeof buf, &base);
    if (mknodat(dfd, base, type | mode, dev) < 0) fail("device", errno, path, "mknod `%s`", path);
    if (fchownat(dfd, base, (uid_t)num(d, 5), (gid_t)num(d, 6), AT_SYMLINK_NOFOLLOW) < 0) fail("device", errno, path, "chown `%s`", path);
    xclose("device", dfd);
}

static void make_symlink(const struct directive *d)
{
    /* symlink TARGET LINKPATH (an existing entry is kept) */
    const char *base;
    char buf[PATH_MAX];
    int dfd = open_parent_in_root("symlink", arg(d, 1), buf, sizeof buf, &base);
    if (symlinkat(arg(d, 0), dfd, base) < 0 && errno != EEXIST) fail("symlink", errno, arg(d, 1), "`%s` -> `%s`", arg(d, 1), arg(d, 0));
    xclose("symlink", dfd);
}

static void pivot_to_rootfs(void)
{
    if (fchdir(rootfd) < 0) fail("pivot_root", errno, rootfs, "chdir `%s`", rootfs);
    /* pivot_root(".", ".") stacks the old root under the new one; unmounting "." then drops it. */
    if (syscall(SYS_pivot_root, ".", ".") < 0) fail("pivot_root", errno, rootfs, "`%s`", rootfs);
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) fail("pivot_root", errno, "/", "make the old root rslave");
    if (umount2(".", MNT_DETACH) < 0) fail("pivot_root", errno, "/", "detach the old root");
    if (chdir("/") < 0) fail("pivot_root", errno, "/", "chdir `/`");
    xclose("pivot_root", rootfd);
    rootfd = -1;
}

static void mask_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        if (errno == ENOENT) return; /* nothing to hide */
        fail("mask", errno, path, "stat `%s`", path);
    }
    if (S_ISDIR(st.st_mode)) {
        if (mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0") < 0) fail("mask", errno, path, "`%s`", path);
    } else if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0) {
        fail("mask", errno, path, "`%s`", path);
    }
}

static void readonly_path(const char *path)
{
    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
        if (errno == ENOENT) return;
        fail("readonly", errno, path, "bind `%s` on itself", path);
    }
    if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        fail("readonly", errno, path, "remount `%s` read-only", path);
}

static void write_sysctl(const struct directive *d)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "/proc/sys/%s", arg(d, 0)) >= (int)sizeof path) fail("sysctl", ENAMETOOLONG, arg(d, 0), "`%s`", arg(d, 0));
    for (char *p = path + strlen("/proc/sys/"); *p; p++)
        if (*p == '.') *p = '/';
    write_file("sysctl", path, arg(d, 1));
}

static rlim_t rlimit_value(const struct directive *d, int i)
{
    if (!strcmp(arg(d, i), "-1") || !strcmp(arg(d, i), "unlimited")) return RLIM_INFINITY;
    return (rlim_t)num(d, i);
}

static void apply_rlimit(const struct directive *d)
{
    static const struct { const char *name; int resource; } table[] = {
        {"as", RLIMIT_AS}, {"core", RLIMIT_CORE}, {"cpu", RLIMIT_CPU}, {"data", RLIMIT_DATA}, {"fsize", RLIMIT_FSIZE},
        {"locks", RLIMIT_LOCKS}, {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
        {"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC}, {"rss", RLIMIT_RSS}, {"rtprio", RLIMIT_RTPRIO},
        {"rttime", RLIMIT_RTTIME}, {"sigpending", RLIMIT_SIGPENDING}, {"stack", RLIMIT_STACK},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(table[i].name, arg(d, 0))) continue;
        struct rlimit rl = { .rlim_cur = rlimit_value(d, 1), .rlim_max = rlimit_value(d, 2) };
        if (setrlimit(table[i].resource, &rl) < 0) fail("rlimit", errno, arg(d, 0), "%s=%s:%s", arg(d, 0), arg(d, 1), arg(d, 2));
        return;
    }
    fail("rlimit", EINVAL, arg(d, 0), "unknown ulimit `%s`", arg(d, 0));
}

/* ---- user and capabilities --------------------------------------------- */

struct capsets {
    uint64_t bounding, effective, permitted, inheritable, ambient;
};

struct identity {
    uid_t uid;
    gid_t gid;
    gid_t groups[MAX_GROUPS];
    int ngroups;
    int have_caps;
    struct capsets caps;
    int no_new_privs;
};

/* Reads `user`, `caps`, `capsets` and `no_new_privs` (`caps` alone: bounding = effective = permitted). */
static void read_identity(struct identity *id)
{
    memset(id, 0, sizeof *id);
    for (int i = 0; i < nspec; i++) {
        const struct directive *d = &spec[i];
        if (is(d, "user")) {
            id->uid = (uid_t)num(d, 0);
            id->gid = (gid_t)num(d, 1);
            char groups[4096];
            snprintf(groups, sizeof groups, "%s", arg(d, 2));
            char *save = NULL;
            for (char *g = strtok_r(groups, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
                if (id->ngroups == MAX_GROUPS) fail("user", E2BIG, arg(d, 2), "more than %d additional groups", MAX_GROUPS);
                char *end;
                errno = 0;
                unsigned long v = strtoul(g, &end, 10);
                if (*end || errno) fail("spec", EINVAL, g, "not a group id: `%s`", g);
                id->groups[id->ngroups++] = (gid_t)v;
            }
        } else if (is(d, "caps") && !find("capsets")) {
            char *end;
            errno = 0;
            uint64_t mask = strtoull(arg(d, 0), &end, 16);
            if (!*arg(d, 0) || *end || errno) fail("spec", EINVAL, arg(d, 0), "`caps`: not a hex mask: `%s`", arg(d, 0));
            id->caps = (struct capsets){ mask, mask, mask, 0, 0 };
            id->have_caps = 1;
        } else if (is(d, "capsets")) {
            id->caps = (struct capsets){ num(d, 0), num(d, 1), num(d, 2), num(d, 3), num(d, 4) };
            id->have_caps = 1;
        } else if (is(d, "no_new_privs")) {
            id->no_new_privs = 1;
        }
    }
}

static void drop_bounding_set(uint64_t keep)
{
    for (int cap = 0; cap <= 63; cap++) {
        if (keep & (1ULL << cap)) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0) continue;
        if (errno == EINVAL) break; /* past the kernel's last capability */
        fail("capabilities", errno, NULL, "drop capability %d from the bounding set", cap);
    }
}

/*
 * In the order the kernel needs: bounding set while we still have
 * CAP_SETPCAP; groups, gid, uid keeping the permitted set; then the sets the
 * process runs with; ambient last (it needs permitted and inheritable).
 */
static void become(const struct identity *id)
{
    if (id->have_caps) {
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) fail("capabilities", errno, NULL, "prctl PR_SET_KEEPCAPS");
        drop_bounding_set(id->caps.bounding);
    }
    if (setgroups((size_t)id->ngroups, id->groups) < 0) fail("user", errno, NULL, "setgroups (%d groups)", id->ngroups);
    if (setresgid(id->gid, id->gid, id->gid) < 0) fail("user", errno, NULL, "setgid %u", id->gid);
    if (setresuid(id->uid, id->uid, id->uid) < 0) fail("user", errno, NULL, "setuid %u", id->uid);
    /* A change of credentials clears the parent-death signal. */
    die_with_parent();
    if (id->have_caps) {
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) fail("capabilities", errno, NULL, "prctl PR_SET_KEEPCAPS");
        struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
        struct __user_cap_data_struct data[2];
        memset(data, 0, sizeof data);
        data[0].effective = (uint32_t)id->caps.effective;
        data[1].effective = (uint32_t)(id->caps.effective >> 32);
        data[0].permitted = (uint32_t)id->caps.permitted;
        data[1].permitted = (uint32_t)(id->caps.permitted >> 32);
        data[0].inheritable = (uint32_t)id->caps.inheritable;
        data[1].inheritable = (uint32_t)(id->caps.inheritable >> 32);
        if (syscall(SYS_capset, &header, data) < 0) fail("capabilities", errno, NULL, "capset");
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) fail("capabilities", errno, NULL, "clear the ambient set");
        for (int cap = 0; cap <= 63; cap++)
            if ((id->caps.ambient & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
                fail("capabilities", errno, NULL, "raise capability %d in the ambient set", cap);
    }
    if (id->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail("no_new_privs", errno, NULL, "prctl PR_SET_NO_NEW_PRIVS");
}

/* ---- exec and init ------------------------------------------------------- */

struct command {
    char **argv;
    char **envp;
};

static void read_command(struct command *c)
{
    int argc = 0, envc = 0;
    c->argv = calloc((size_t)nspec + 1, sizeof *c->argv);
    c->envp = calloc((size_t)nspec + 1, sizeof *c->envp);
    if (!c->argv || !c->envp) fail("exec", ENOMEM, NULL, "argument list");
    for (int i = 0; i < nspec; i++) {
        if (is(&spec[i], "arg")) c->argv[argc++] = (char *)arg(&spec[i], 0);
        else if (is(&spec[i], "env")) c->envp[envc++] = (char *)arg(&spec[i], 0);
    }
    if (argc == 0) fail("exec", EINVAL, NULL, "no command");
}

/* execve with PATH from the command's environment, failing the way Docker words it. */
static void exec_command(char **argv, char **envp) __attribute__((noreturn));
static void exec_command(char **argv, char **envp)
{
    const char *cmd = argv[0];
    if (strchr(cmd, '/')) {
        execve(cmd, argv, envp);
        fail("exec", errno, cmd, "exec \"%s\": %s", cmd, strerror(errno));
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
        if (snprintf(full, sizeof full, "%s/%s", *dir ? dir : ".", cmd) >= (int)sizeof full) continue;
        execve(full, argv, envp);
        if (errno != ENOENT && errno != ENOTDIR) last = errno;
    }
    if (last == ENOENT) fail("exec", ENOENT, cmd, "exec \"%s\": executable file not found in $PATH", cmd);
    fail("exec", last, cmd, "exec \"%s\": %s", cmd, strerror(last));
}

/*
 * A minimal init: the command runs as our child in its own process group;
 * every signal we get goes to that group; every orphan is reaped; we exit as
 * the command did (128+N for a signal). Returns in the child.
 */
static void become_init(int report_pipe)
{
    sigset_t all;
    sigfillset(&all);
    if (sigprocmask(SIG_BLOCK, &all, NULL) < 0) fail("init", errno, NULL, "block signals");
    pid_t child = fork();
    if (child < 0) fail("init", errno, NULL, "fork the command");
    if (child == 0) {
        if (setpgid(0, 0) < 0) fail("init", errno, NULL, "setpgid");
        /* With a terminal the command's group must be the foreground one, or it cannot read it. */
        if (isatty(STDIN_FILENO) && tcsetpgrp(STDIN_FILENO, getpid()) < 0) fail("init", errno, NULL, "tcsetpgrp");
        if (sigprocmask(SIG_UNBLOCK, &all, NULL) < 0) fail("init", errno, NULL, "unblock signals");
        return;
    }
    /* Only the command reports from now on: its exec closes the pipe. */
    if (report_pipe >= 0) xclose("init", report_pipe);
    report_fd = -1;
    prctl(PR_SET_NAME, "tsc-init", 0, 0, 0);
    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(&all, &info);
        if (sig < 0) continue; /* EINTR */
        if (sig != SIGCHLD) {
            if (kill(-child, sig) < 0 && errno == ESRCH) kill(child, sig);
            continue;
        }
        int status;
        pid_t done;
        while ((done = waitpid(-1, &status, WNOHANG)) > 0)
            if (done == child) _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
}

static void prepare_stdio_and_exec(const struct command *c, int init, int report_pipe) __attribute__((noreturn));
static void prepare_stdio_and_exec(const struct command *c, int init, int report_pipe)
{
    for (int fd = 0; fd <= 2; fd++) set_cloexec("stdio", fd, 0); /* Node marks 0-2 CLOEXEC */
    umask(022);
    if (init) become_init(report_pipe);
    exec_command(c->argv, c->envp);
}

/* ---- terminals ----------------------------------------------------------- */

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
    if (sendmsg(sock, &msg, 0) < 0) fail("tty", errno, NULL, "hand the terminal to the monitor");
}

static int recv_fd(int sock)
{
    char data;
    struct iovec iov = { .iov_base = &data, .iov_len = 1 };
    char control[CMSG_SPACE(sizeof(int))];
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
    if (recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0) return -1;
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS) { errno = EPROTO; return -1; }
    int fd;
    memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
    return fd;
}

/* A new terminal from the devpts instance at /dev/pts (the container's, once we are in its mount namespace). */
static int open_terminal(char *slave_name, size_t len, unsigned short rows, unsigned short cols)
{
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) fail("tty", errno, "/dev/ptmx", "open `/dev/ptmx`");
    if (unlockpt(master) < 0) fail("tty", errno, "/dev/ptmx", "unlockpt");
    int e = ptsname_r(master, slave_name, len);
    if (e) fail("tty", e, "/dev/ptmx", "ptsname");
    if (rows && cols) {
        struct winsize ws = { .ws_row = rows, .ws_col = cols };
        if (ioctl(master, TIOCSWINSZ, &ws) < 0) fail("tty", errno, slave_name, "set the window size");
    }
    return master;
}

/* The terminal becomes our controlling terminal and stdin/stdout/stderr. */
static void attach_to_terminal(const char *slave_name, uid_t owner)
{
    if (setsid() < 0) fail("tty", errno, NULL, "setsid");
    int slave = open(slave_name, O_RDWR | O_CLOEXEC);
    if (slave < 0) fail("tty", errno, slave_name, "open `%s`", slave_name);
    if (ioctl(slave, TIOCSCTTY, 0) < 0) fail("tty", errno, slave_name, "make `%s` the controlling terminal", slave_name);
    if (fchown(slave, owner, (gid_t)-1) < 0) fail("tty", errno, slave_name, "chown `%s`", slave_name);
    for (int fd = 0; fd <= 2; fd++)
        if (dup2(slave, fd) < 0) fail("tty", errno, slave_name, "dup2 onto fd %d", fd);
    xclose("tty", slave);
}

/* ---- `run`: PID 1 ------------------------------------------------------------ */

/* Everything PID 1 does between "go" and exec, in the order the kernel needs. */
static void container_main(int go_fd, int report_pipe, int tty_sock) __attribute__((noreturn));
static void container_main(int go_fd, int report_pipe, int tty_sock)
{
    char go[8];
    ssize_t n;
    do n = read(go_fd, go, sizeof go); while (n < 0 && errno == EINTR);
    if (n < 0) fail("sync", errno, NULL, "wait for the engine");
    if (n == 0) _exit(126); /* the engine gave up before releasing us: leave quietly */
    xclose("sync", go_fd);
    umask(0); /* device nodes and created mount points get exactly the modes asked for */

    int unshare_flags = 0;
    for (int i = 0; i < nspec; i++)
        if (is(&spec[i], "ns") && ns_flag(arg(&spec[i], 0)) != CLONE_NEWPID) unshare_flags |= ns_flag(arg(&spec[i], 0));
    if (!(unshare_flags & CLONE_NEWNS)) fail("spec", EINVAL, "mnt", "the container needs its own mount namespace");
    /* After "go": the cgroup namespace must be rooted at the cgroup the engine just put us in. */
    if (unshare(unshare_flags) < 0) fail("unshare", errno, NULL, "namespaces 0x%x", unshare_flags);
    if (unshare_flags & CLONE_NEWNET) loopback_up();
    const struct directive *prop = find("rootfs_propagation");
    unsigned long root_propagation = prop ? (unsigned long)num(prop, 0) : MS_SLAVE | MS_REC;
    /* Nothing we mount from here on may propagate back to the host. */
    if (mount(NULL, "/", NULL, root_propagation, NULL) < 0) fail("mount", errno, "/", "propagation 0x%lx of `/`", root_propagation);

    struct identity id;
    read_identity(&id);
    const char *cwd = "/";
    int readonly_root = 0, init = 0;
    unsigned short rows = 0, cols = 0;
    int want_tty = 0;
    for (int i = 0; i < nspec; i++) {
        const struct directive *d = &spec[i];
        if (is(d, "rootfs")) mount_rootfs(d);
        else if (is(d, "mount") || is(d, "device") || is(d, "symlink")) {
            if (rootfd < 0) fail("spec", EINVAL, d->name, "`%s` before `rootfs`", d->name);
            if (is(d, "mount")) do_mount(d);
            else if (is(d, "device")) make_device(d);
            else make_symlink(d);
        } else if (is(d, "hostname")) {
            if (sethostname(arg(d, 0), strlen(arg(d, 0))) < 0) fail("hostname", errno, arg(d, 0), "`%s`", arg(d, 0));
        } else if (is(d, "domainname")) {
            if (setdomainname(arg(d, 0), strlen(arg(d, 0))) < 0) fail("domainname", errno, arg(d, 0), "`%s`", arg(d, 0));
        } else if (is(d, "readonly_root")) readonly_root = 1;
        else if (is(d, "init")) init = 1;
        else if (is(d, "cwd")) cwd = arg(d, 0);
        else if (is(d, "tty")) {
            want_tty = 1;
            rows = (unsigned short)num(d, 0);
            cols = (unsigned short)num(d, 1);
        }
    }
    if (rootfd < 0) fail("spec", EINVAL, NULL, "no rootfs");
    /* A working directory the image lacks is created, as Docker does. */
    if (strcmp(cwd, "/")) {
        int fd = open_in_root(cwd, 1, 0);
        if (fd < 0) fail("cwd", errno, cwd, "create the working directory `%s`", cwd);
        xclose("cwd", fd);
    }
    pivot_to_rootfs();

    /* Inside the container from here on. Sysctls first: /proc/sys turns read-only next. */
    for (int i = 0; i < nspec; i++)
        if (is(&spec[i], "sysctl")) write_sysctl(&spec[i]);
    for (int i = 0; i < nspec; i++) {
        if (is(&spec[i], "mask")) mask_path(arg(&spec[i], 0));
        else if (is(&spec[i], "readonly")) readonly_path(arg(&spec[i], 0));
    }
    if (readonly_root && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
        fail("mount", errno, "/", "remount `/` read-only");
    for (int i = 0; i < nspec; i++) {
        if (is(&spec[i], "rlimit")) apply_rlimit(&spec[i]);
        else if (is(&spec[i], "oom_score_adj")) write_file("oom_score_adj", "/proc/self/oom_score_adj", arg(&spec[i], 0));
    }
    if (want_tty) {
        char slave[128];
        int master = open_terminal(slave, sizeof slave, rows, cols);
        send_fd(tty_sock, master);
        xclose("tty", master);
        xclose("tty", tty_sock);
        attach_to_terminal(slave, id.uid);
    }
    if (chdir(cwd) < 0) fail("cwd", errno, cwd, "chdir `%s`", cwd);
    struct command c;
    read_command(&c);
    become(&id);
    prepare_stdio_and_exec(&c, init, report_pipe);
}

/* ---- `run`: the monitor ------------------------------------------------------ */

struct stream {
    int fd;
    const char *name;
    char pending[LOG_LINE_MAX];
    size_t used;
};

static int log_fd = -1;
static int log_broken; /* say once that the log cannot be written, then keep the container running */
static int console_out = -1; /* the engine's end of an attached terminal, while it listens */

/*
 * Size-based rotation (`log_rotate MAX_BYTES MAX_FILES`, Docker's local and
 * json-file semantics): before a record that would take the file past
 * MAX_BYTES, container.log becomes container.log.1 (.1 → .2 ..., up to
 * MAX_FILES-1 kept) and a new container.log takes its place. Records are never
 * split; a record larger than MAX_BYTES gets a file of its own. The current
 * path always names a complete file (the new one is renamed over it), so a
 * reader finds it at every moment; a reader holding the old file knows every
 * write to it is done once the path names another file.
 */
static const char *log_path;
static unsigned long long log_max_size; /* 0: never rotate */
static unsigned long long log_max_files = 1;
static unsigned long long log_size;
static int log_rotate_broken;

/* Opens the log for appending; a record torn by a monitor killed mid-write is ended, so the next one starts on its own line. */
static int log_open(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) < 0) { int e = errno; close(fd); errno = e; return -1; }
    log_size = (unsigned long long)st.st_size;
    char last = '\n';
    if (st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n' && write_all(fd, "\n", 1) == 0) log_size++;
    return fd;
}

static int rotated_name(char *out, size_t cap, unsigned long long index)
{
    if (snprintf(out, cap, "%s.%llu", log_path, index) >= (int)cap) { errno = ENAMETOOLONG; return -1; }
    return 0;
}

static int log_rotate(void)
{
    char from[PATH_MAX], to[PATH_MAX], fresh[PATH_MAX];
    if (snprintf(fresh, sizeof fresh, "%s.new", log_path) >= (int)sizeof fresh) { errno = ENAMETOOLONG; return -1; }
    /* The new file first: if it cannot be made, nothing moved and the old file goes on. */
    int fd = open(fresh, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) return -1;
    if (log_max_files >= 2) {
        /* Oldest first, so the files that stay keep their order for a reader walking .1, .2, ... */
        for (unsigned long long i = log_max_files - 1; i >= 2; i--) {
            if (rotated_name(from, sizeof from, i - 1) < 0 || rotated_name(to, sizeof to, i) < 0) goto failed;
            if (rename(from, to) < 0 && errno != ENOENT) goto failed;
        }
        /* container.log keeps its name until the new file replaces it: a second name, then the swap. */
        char link_tmp[PATH_MAX];
        if (rotated_name(to, sizeof to, 1) < 0 || snprintf(link_tmp, sizeof link_tmp, "%s.1.new", log_path) >= (int)sizeof link_tmp) { errno = ENAMETOOLONG; goto failed; }
        unlink(link_tmp);
        if (link(log_path, link_tmp) < 0 || rename(link_tmp, to) < 0) goto failed;
    }
    if (rename(fresh, log_path) < 0) goto failed;
    close(log_fd);
    log_fd = fd;
    log_size = 0;
    return 0;
failed:;
    int e = errno;
    close(fd);
    unlink(fresh);
    errno = e;
    return -1;
}

static void log_record(const char *stream, const char *text, size_t len, int partial)
{
    char ts[48], head[96];
    rfc3339_now(ts, sizeof ts);
    int n = snprintf(head, sizeof head, "%s %s %c ", ts, stream, partial ? 'P' : 'F');
    size_t total = (size_t)n + len + 1;
    if (log_max_size > 0 && log_size > 0 && log_size + total > log_max_size && log_rotate() < 0 && !log_rotate_broken) {
        /* Keep the record in the file we have rather than lose it. */
        log_rotate_broken = 1;
        warn("log", errno, "rotate %s", log_path);
    }
    struct iovec iov[3] = { { head, (size_t)n }, { (void *)text, len }, { "\n", 1 } };
    ssize_t w = writev(log_fd, iov, 3);
    if (w > 0) log_size += (unsigned long long)w;
    if (w != (ssize_t)total && !log_broken) {
        log_broken = 1;
        warn("log", w < 0 ? errno : EIO, "write a record to the log");
    }
}

static void flush_partial(struct stream *s)
{
    if (s->used) log_record(s->name, s->pending, s->used, 1);
    s->used = 0;
}

/* Copies to the engine's terminal; a reader that stops reading for a second is dropped, never waited for. */
static void to_console(const char *data, size_t len)
{
    while (console_out >= 0 && len > 0) {
        ssize_t n = write(console_out, data, len);
        if (n > 0) { data += n; len -= (size_t)n; continue; }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            struct pollfd p = { .fd = console_out, .events = POLLOUT };
            if (poll(&p, 1, 1000) > 0) continue;
        }
        if (errno != EPIPE) warn("console", errno == EAGAIN ? ETIMEDOUT : errno, "relay output to the engine");
        close(console_out);
        console_out = -1;
    }
}

/* Reads what is there; returns 0 when the stream ended. */
static int pump(struct stream *s)
{
    for (;;) {
        ssize_t n = read(s->fd, s->pending + s->used, sizeof s->pending - s->used);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return 1;
        if (n <= 0) {
            /* EIO: the terminal's last holder is gone, its end-of-file. */
            if (n < 0 && errno != EIO) warn("log", errno, "read the container's %s", s->name);
            flush_partial(s);
            close(s->fd);
            s->fd = -1;
            return 0;
        }
        if (s->fd >= 0 && console_out >= 0 && !strcmp(s->name, "stdout")) to_console(s->pending + s->used, (size_t)n);
        s->used += (size_t)n;
        size_t start = 0;
        for (size_t i = 0; i < s->used; i++) {
            if (s->pending[i] != '\n') continue;
            log_record(s->name, s->pending + start, i - start, 0);
            start = i + 1;
        }
        memmove(s->pending, s->pending + start, s->used - start);
        s->used -= start;
        if (s->used == sizeof s->pending) flush_partial(s);
    }
}

static void relay_input(int *in, int master)
{
    char buf[4096];
    ssize_t n;
    do n = read(*in, buf, sizeof buf); while (n < 0 && errno == EINTR);
    if (n > 0 && write_all(master, buf, (size_t)n) == 0) return;
    if (n < 0 && errno == EAGAIN) return;
    if (n < 0 || (n > 0 && errno != EIO)) warn("console", errno, "relay input to the container");
    close(*in);
    *in = -1;
}

static void resize_from_file(const char *path, int master)
{
    FILE *f = fopen(path, "re");
    if (!f) { warn("tty", errno, "open %s", path); return; }
    unsigned rows = 0, cols = 0;
    if (fscanf(f, "%u %u", &rows, &cols) == 2) {
        struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
        if (ioctl(master, TIOCSWINSZ, &ws) < 0) warn("tty", errno, "set the window size");
    } else {
        warn("tty", EINVAL, "read `rows cols` from %s", path);
    }
    fclose(f);
}

static void write_status(const char *path, int status, pid_t child)
{
    char ts[48], buf[256];
    rfc3339_now(ts, sizeof ts);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    snprintf(buf, sizeof buf, "exit_code %d\nsignal %d\npid %d\nfinished_at %s\n", code, sig, child, ts);
    if (write_atomic(path, buf) < 0) warn("status", errno, "write %s", path);
}

/* Our own stdio now points at nothing of the engine's: it may exit, we stay. */
static void detach_from_engine(void)
{
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(null_fd, STDOUT_FILENO) < 0) warn("daemon", errno, "stdio to /dev/null");
    if (null_fd > 2) close(null_fd);
    if (chdir("/") < 0) warn("daemon", errno, "chdir /");
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGINT, SIG_IGN);
}

/*
 * Until PID 1 is reaped: output to the log (and an attached terminal), the
 * engine's input to the terminal, window size changes; then the status file.
 */
static int monitor_loop(pid_t child, int out_fd, int err_fd, int master, int console_in, const char *winsize_path, const char *status_path)
{
    static struct stream streams[2];
    streams[0] = (struct stream){ .fd = out_fd, .name = "stdout" };
    streams[1] = (struct stream){ .fd = err_fd, .name = "stderr" };
    if (master >= 0) {
        /* The terminal carries both streams; the pipes stay quiet. */
        close(out_fd);
        close(err_fd);
        streams[0].fd = master;
        streams[1].fd = -1;
    } else {
        if (console_out >= 0) close(console_out);
        if (console_in >= 0) close(console_in);
        console_out = console_in = -1;
    }
    /* Non-blocking: a quiet stream must never hold up the other, or the terminal's input. */
    for (int i = 0; i < 2; i++)
        if (streams[i].fd >= 0 && set_nonblock(streams[i].fd) < 0) warn("monitor", errno, "make the %s pipe non-blocking", streams[i].name);
    if (console_out >= 0 && set_nonblock(console_out) < 0) warn("console", errno, "make the console non-blocking");
    if (console_in >= 0 && set_nonblock(console_in) < 0) warn("console", errno, "make the console non-blocking");
    /* A pidfd tells us PID 1 is gone even while orphans (host or shared pid namespace) still hold its pipes. */
    int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
    if (pidfd < 0) warn("monitor", errno, "pidfd_open %d (the end of the output will mark the exit)", child);
    int sigfd = -1;
    if (master >= 0 && winsize_path) {
        sigset_t winch;
        sigemptyset(&winch);
        sigaddset(&winch, SIGWINCH);
        if (sigprocmask(SIG_BLOCK, &winch, NULL) < 0 || (sigfd = signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
            warn("tty", errno, "signalfd for SIGWINCH (resizing disabled)");
    }
    for (;;) {
        struct pollfd pfd[5];
        int at[2] = { -1, -1 }, at_in = -1, at_pid = -1, at_sig = -1, nfds = 0, open_streams = 0, pending = 0;
        for (int i = 0; i < 2; i++) {
            if (streams[i].used) pending = 1;
            if (streams[i].fd < 0) continue;
            open_streams++;
            at[i] = nfds;
            pfd[nfds++] = (struct pollfd){ .fd = streams[i].fd, .events = POLLIN };
        }
        if (open_streams == 0 && pidfd < 0) break;
        if (console_in >= 0 && streams[0].fd >= 0) { at_in = nfds; pfd[nfds++] = (struct pollfd){ .fd = console_in, .events = POLLIN }; }
        if (pidfd >= 0) { at_pid = nfds; pfd[nfds++] = (struct pollfd){ .fd = pidfd, .events = POLLIN }; }
        if (sigfd >= 0) { at_sig = nfds; pfd[nfds++] = (struct pollfd){ .fd = sigfd, .events = POLLIN }; }
        int r = poll(pfd, (nfds_t)nfds, pending ? PARTIAL_FLUSH_MS : -1);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) { warn("monitor", errno, "poll"); break; }
        if (r == 0) { /* a line left unfinished for a while: written as a partial record */
            flush_partial(&streams[0]);
            flush_partial(&streams[1]);
            continue;
        }
        for (int i = 0; i < 2; i++)
            if (at[i] >= 0 && pfd[at[i]].revents) pump(&streams[i]);
        if (at_in >= 0 && pfd[at_in].revents && streams[0].fd >= 0) relay_input(&console_in, master);
        if (at_sig >= 0 && pfd[at_sig].revents) {
            struct signalfd_siginfo si;
            while (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si) {}
            if (streams[0].fd >= 0) resize_from_file(winsize_path, master);
        }
        if (at_pid >= 0 && pfd[at_pid].revents) {
            /* PID 1 is gone: what it wrote is in the pipes now; take it and stop. */
            for (int i = 0; i < 2; i++)
                if (streams[i].fd >= 0) pump(&streams[i]);
            break;
        }
    }
    for (int i = 0; i < 2; i++) flush_partial(&streams[i]);
    int status;
    while (waitpid(child, &status, 0) < 0) {
        if (errno == EINTR) continue;
        warn("monitor", errno, "waitpid %d", child);
        return 1;
    }
    write_status(status_path, status, child);
    return 0;
}

static int cmd_run(const char *spec_path)
{
    load_spec(spec_path);
    report_fd = STDOUT_FILENO;
    const char *status_path = NULL, *pid_path = NULL, *winsize_path = NULL;
    int stdin_fd = -1, console_in = -1, want_tty = 0;
    for (int i = 0; i < nspec; i++) {
        const struct directive *d = &spec[i];
        if (is(d, "log")) log_path = arg(d, 0);
        else if (is(d, "status")) status_path = arg(d, 0);
        else if (is(d, "pidfile")) pid_path = arg(d, 0);
        else if (is(d, "stdin_fd")) stdin_fd = (int)snum(d, 0);
        else if (is(d, "tty")) want_tty = 1;
        else if (is(d, "console")) { console_in = (int)snum(d, 0); console_out = (int)snum(d, 1); }
        else if (is(d, "winsize_file")) winsize_path = arg(d, 0);
        else if (is(d, "log_rotate")) { log_max_size = num(d, 0); log_max_files = d->nargs > 1 ? num(d, 1) : 1; }
        else if (is(d, "ns")) ns_flag(arg(d, 0)); /* unknown kinds fail now, before anything runs */
    }
    if (!log_path || !status_path) fail("spec", EINVAL, NULL, "log and status paths are required");
    if (log_max_files == 0) log_max_files = 1;
    log_fd = log_open(log_path);
    if (log_fd < 0) fail("log", errno, log_path, "open `%s`", log_path);

    /* Shared namespaces are entered here: a pid namespace only applies to children. */
    int new_pidns = 0;
    for (int i = 0; i < nspec; i++) {
        const struct directive *d = &spec[i];
        if (is(d, "ns") && ns_flag(arg(d, 0)) == CLONE_NEWPID) new_pidns = 1;
        if (!is(d, "join")) continue;
        int fd = open(arg(d, 1), O_RDONLY | O_CLOEXEC);
        if (fd < 0) fail("setns", errno, arg(d, 1), "open the %s namespace `%s`", arg(d, 0), arg(d, 1));
        if (setns(fd, ns_flag(arg(d, 0))) < 0) fail("setns", errno, arg(d, 1), "%s namespace `%s`", arg(d, 0), arg(d, 1));
        xclose("setns", fd);
    }
    int go[2], report[2], out[2], err[2], tty[2] = { -1, -1 };
    if (pipe2(go, O_CLOEXEC) < 0 || pipe2(report, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
        fail("pipe", errno, NULL, "pipes to the container");
    if (want_tty && socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, tty) < 0) fail("tty", errno, NULL, "socketpair");
    if (new_pidns && unshare(CLONE_NEWPID) < 0) fail("unshare", errno, NULL, "pid namespace");

    pid_t monitor = getpid();
    pid_t child = fork();
    if (child < 0) fail("fork", errno, NULL, "the container's first process");
    if (child == 0) {
        report_fd = report[1];
        parent_seen = getppid();
        die_with_parent();
        xclose("sync", go[1]);
        xclose("sync", report[0]);
        xclose("stdio", out[0]);
        xclose("stdio", err[0]);
        xclose("tty", tty[0]);
        xclose("console", console_in);
        xclose("console", console_out);
        xclose("log", log_fd);
        int in = stdin_fd >= 0 ? stdin_fd : open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (in < 0) fail("stdio", errno, "/dev/null", "open `/dev/null`");
        if (dup2(in, STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0 || dup2(err[1], STDERR_FILENO) < 0)
            fail("stdio", errno, NULL, "dup2 the container's stdio");
        if (in > 2) xclose("stdio", in);
        xclose("stdio", out[1]);
        xclose("stdio", err[1]);
        container_main(go[0], report[1], tty[1]);
    }
    xclose("sync", go[0]);
    xclose("sync", report[1]);
    xclose("stdio", out[1]);
    xclose("stdio", err[1]);
    xclose("tty", tty[1]);
    if (stdin_fd >= 0) xclose("stdio", stdin_fd); /* only the container holds it now */
    char reply[128];
    int len = snprintf(reply, sizeof reply, "pid %d\n", child);
    if (write_all(STDOUT_FILENO, reply, (size_t)len) < 0) { kill(child, SIGKILL); waitpid(child, NULL, 0); return 1; }

    /* "go" on stdin, or the engine gave up (EOF): then nothing may be left running. */
    char line[16] = "";
    size_t got = 0;
    while (got < sizeof line - 1) {
        ssize_t n = read(STDIN_FILENO, line + got, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0 || line[got] == '\n') break;
        got++;
    }
    if (strncmp(line, "go", 2)) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        return 1;
    }
    if (write_all(go[1], "go", 2) < 0) fail("sync", errno, NULL, "release the container's first process");
    xclose("sync", go[1]);

    char failure[2400];
    size_t flen = 0;
    for (;;) {
        ssize_t n = read(report[0], failure + flen, sizeof failure - 1 - flen);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0 || (flen += (size_t)n) == sizeof failure - 1) break;
    }
    xclose("sync", report[0]);
    if (flen > 0) {
        waitpid(child, NULL, 0);
        if (write_all(STDOUT_FILENO, failure, flen) < 0) { /* the engine is gone */ }
        return 1;
    }
    int master = -1;
    if (want_tty) {
        master = recv_fd(tty[0]);
        if (master < 0) { kill(child, SIGKILL); waitpid(child, NULL, 0); fail("tty", errno, NULL, "receive the terminal from the container"); }
        xclose("tty", tty[0]);
    }
    if (pid_path) {
        char buf[64];
        snprintf(buf, sizeof buf, "%d %d\n", child, monitor);
        if (write_atomic(pid_path, buf) < 0) { int e = errno; kill(child, SIGKILL); waitpid(child, NULL, 0); fail("pidfile", e, pid_path, "write `%s`", pid_path); }
    }
    len = snprintf(reply, sizeof reply, "started %d %d\n", child, monitor);
    if (write_all(STDOUT_FILENO, reply, (size_t)len) < 0) warn("sync", errno, "tell the engine the container started");
    detach_from_engine();
    return monitor_loop(child, out[0], err[0], master, console_in, winsize_path, status_path);
}

/* ---- `exec` ---------------------------------------------------------------- */

static volatile sig_atomic_t exec_child;
static volatile sig_atomic_t exec_winch;

static void forward_signal(int sig)
{
    if (exec_child > 0) kill(exec_child, sig);
}

static void on_winch(int sig)
{
    (void)sig;
    exec_winch = 1;
}

/* Writes everything, waiting while a non-blocking fd is full. */
static int write_all_wait(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n > 0) { data += n; len -= (size_t)n; continue; }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            struct pollfd p = { .fd = fd, .events = POLLOUT };
            if (poll(&p, 1, -1) >= 0 || errno == EINTR) continue;
        }
        return -1;
    }
    return 0;
}

/* Our stdin/stdout (raw when they are a terminal) <-> the container's terminal, until the process is gone. */
static void relay_terminal(int master, int pidfd)
{
    struct termios saved;
    int raw = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
    if (raw) {
        struct termios t = saved;
        cfmakeraw(&t);
        if (tcsetattr(STDIN_FILENO, TCSANOW, &t) < 0) warn("tty", errno, "raw mode");
        struct sigaction sa = { .sa_handler = on_winch };
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGWINCH, &sa, NULL) < 0) warn("tty", errno, "SIGWINCH handler");
    }
    if (set_nonblock(master) < 0) warn("tty", errno, "make the terminal non-blocking");
    char buf[8192];
    int in_open = 1, done = 0;
    while (!done) {
        if (exec_winch) {
            exec_winch = 0;
            struct winsize ws;
            if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ioctl(master, TIOCSWINSZ, &ws) < 0) warn("tty", errno, "set the window size");
        }
        struct pollfd p[3] = {
            { .fd = master, .events = POLLIN },
            { .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN },
            { .fd = pidfd, .events = POLLIN },
        };
        if (poll(p, 3, -1) < 0) {
            if (errno == EINTR) continue;
            warn("tty", errno, "poll");
            break;
        }
        /* Once the process is gone, take what is left on the terminal and stop. */
        if (p[2].revents) done = 1;
        if (p[0].revents || done) {
            for (;;) {
                ssize_t n = read(master, buf, sizeof buf);
                if (n > 0) {
                    if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0) { done = 1; break; }
                    continue;
                }
                if (n < 0 && errno == EINTR) continue;
                if (n == 0 || errno != EAGAIN) done = 1; /* EIO: every holder of the terminal is gone */
                break;
            }
        }
        if (!done && in_open && p[1].revents) {
            ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                in_open = 0;
                char eot = 4; /* the end of our input reaches the program as ^D */
                if (write_all_wait(master, &eot, 1) < 0) warn("tty", errno, "send end of input");
            } else if (write_all_wait(master, buf, (size_t)n) < 0) {
                warn("tty", errno, "relay input");
                in_open = 0;
            }
        }
    }
    if (raw && tcsetattr(STDIN_FILENO, TCSANOW, &saved) < 0) warn("tty", errno, "restore the terminal");
}

static int cmd_exec(const char *spec_path)
{
    /* fd 3, when the engine passed one, takes the replies; our stdio is the process's. */
    report_fd = fcntl(3, F_GETFD) >= 0 ? 3 : -1;
    if (report_fd == 3) set_cloexec("exec", 3, 1);
    load_spec(spec_path);
    const struct directive *target = find("target");
    if (!target) fail("spec", EINVAL, NULL, "no target pid");
    long long pid = snum(target, 0);
    /* As nsenter: every namespace file opened first, then entered with mnt last (the others are host paths). */
    static const char *names[] = { "cgroup", "ipc", "uts", "net", "pid", "mnt" };
    static const int types[] = { CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWNS };
    int fds[6];
    for (int i = 0; i < 6; i++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%lld/ns/%s", pid, names[i]);
        fds[i] = open(path, O_RDONLY | O_CLOEXEC);
        if (fds[i] < 0) fail("setns", errno, path, "open `%s` (is the container running?)", path);
    }
    char self[32];
    snprintf(self, sizeof self, "%d", getpid());
    for (int i = 0; i < nspec; i++)
        if (is(&spec[i], "cgroup")) write_file("cgroup", arg(&spec[i], 0), self);
    for (int i = 0; i < 6; i++) {
        if (setns(fds[i], types[i]) < 0) fail("setns", errno, names[i], "%s namespace of pid %lld", names[i], pid);
        xclose("setns", fds[i]);
    }
    struct identity id;
    read_identity(&id);
    struct command c;
    read_command(&c);
    const struct directive *cwd_d = find("cwd");
    const char *cwd = cwd_d ? arg(cwd_d, 0) : "/";
    int master = -1;
    char slave[128] = "";
    if (find("tty")) {
        struct winsize ws = { 0 };
        if (isatty(STDIN_FILENO) && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0) fail("tty", errno, NULL, "read our window size");
        master = open_terminal(slave, sizeof slave, ws.ws_row, ws.ws_col);
    }
    int report[2];
    if (pipe2(report, O_CLOEXEC) < 0) fail("pipe", errno, NULL, "report pipe");
    pid_t child = fork();
    if (child < 0) fail("fork", errno, NULL, "the exec process");
    if (child == 0) {
        report_fd = report[1];
        parent_seen = getppid();
        die_with_parent();
        xclose("sync", report[0]);
        xclose("tty", master);
        if (slave[0]) attach_to_terminal(slave, id.uid);
        for (int i = 0; i < nspec; i++)
            if (is(&spec[i], "rlimit")) apply_rlimit(&spec[i]);
        if (chdir(cwd) < 0) fail("cwd", errno, cwd, "chdir `%s`", cwd);
        become(&id);
        prepare_stdio_and_exec(&c, 0, -1);
    }
    xclose("sync", report[1]);
    char failure[2400];
    size_t flen = 0;
    for (;;) {
        ssize_t n = read(report[0], failure + flen, sizeof failure - 1 - flen);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0 || (flen += (size_t)n) == sizeof failure - 1) break;
    }
    xclose("sync", report[0]);
    if (flen > 0) {
        waitpid(child, NULL, 0);
        failure[flen] = 0;
        int err = 0;
        char step[64] = "", message[2400] = "";
        if (sscanf(failure, "error %63s %d %2399[^\t\n]", step, &err, message) < 2) err = EPROTO;
        if (report_fd >= 0) {
            if (write_all(report_fd, failure, flen) < 0) { /* the engine is gone */ }
        } else {
            char line[2600];
            int n = snprintf(line, sizeof line, "tsc-compose-shim: %s%s%s\n", message, strcmp(step, "exec") ? ": " : "", strcmp(step, "exec") ? strerror(err) : "");
            if (n >= (int)sizeof line) { n = sizeof line - 1; line[n - 1] = '\n'; }
            if (write_all(STDERR_FILENO, line, (size_t)n) < 0) { /* nowhere to say it */ }
        }
        return err == ENOENT ? 127 : 126;
    }
    if (report_fd >= 0) {
        char reply[64];
        int n = snprintf(reply, sizeof reply, "started %d\n", child);
        if (write_all(report_fd, reply, (size_t)n) < 0) { /* the engine stopped listening; the process runs on */ }
    }
    /* Signals meant for the process reach it; ^C and ^\ from our terminal reach it directly. */
    exec_child = child;
    struct sigaction sa = { .sa_handler = forward_signal };
    sigemptyset(&sa.sa_mask);
    const int forwarded[] = { SIGTERM, SIGHUP, SIGUSR1, SIGUSR2 };
    for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
        if (sigaction(forwarded[i], &sa, NULL) < 0) warn("exec", errno, "forward signal %d", forwarded[i]);
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    if (master >= 0) {
        int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
        if (pidfd < 0) warn("exec", errno, "pidfd_open %d", child);
        relay_terminal(master, pidfd);
    }
    int status;
    while (waitpid(child, &status, 0) < 0) {
        if (errno == EINTR) continue;
        warn("exec", errno, "waitpid %d", child);
        return 126;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- `init` ---------------------------------------------------------------- */

static int cmd_init(int argc, char **argv)
{
    report_fd = -1;
    if (argc > 0 && !strcmp(argv[0], "--")) { argc--; argv++; }
    if (argc == 0) {
        fprintf(stderr, "usage: tsc-compose-shim init [--] COMMAND [ARG...]\n");
        return 2;
    }
    /* Not PID 1 (e.g. pid: host): orphans of the command are still ours to reap. */
    if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) fail("init", errno, NULL, "become a subreaper");
    become_init(-1);
    exec_command(argv, environ);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "init")) return cmd_init(argc - 2, argv + 2);
    if (argc == 3 && !strcmp(argv[1], "run")) return cmd_run(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "exec")) return cmd_exec(argv[2]);
    fprintf(stderr, "usage: tsc-compose-shim run SPEC | exec SPEC | init [--] COMMAND [ARG...]\n");
    return 2;
}
