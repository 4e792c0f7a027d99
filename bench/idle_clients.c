/* idle_clients: open N keep-alive connections to a server, send one
 * GET PATH on each, read its response, then keep them all open and idle
 * until SIGTERM/SIGINT, so bench/run can read the server's RSS.
 *
 * Usage: idle_clients HOST PORT N [PATH]
 * Prints "ready OPENED FAILED" on stdout once every connection has its
 * response (or failed), then sleeps. On SIGTERM it prints "alive N": how many
 * of them the server had not closed by then. Raises its own fd limit to the
 * hard one.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

/* Reads one HTTP response (headers + Content-Length body). 0 on success. */
static int read_response(int fd) {
  char buf[8192];
  size_t len = 0;
  for (;;) {
    ssize_t r = read(fd, buf + len, sizeof buf - 1 - len);
    if (r <= 0) {
      if (r < 0 && errno == EINTR) continue;
      return -1;
    }
    len += (size_t)r;
    buf[len] = 0;
    char *hdr_end = strstr(buf, "\r\n\r\n");
    if (!hdr_end) {
      if (len == sizeof buf - 1) return -1;
      continue;
    }
    size_t head = (size_t)(hdr_end - buf) + 4;
    size_t clen = 0;
    for (char *p = buf; p < hdr_end; ++p) {
      if (strncasecmp(p, "\r\ncontent-length:", 17) == 0) {
        clen = strtoul(p + 17, NULL, 10);
        break;
      }
    }
    if (strncmp(buf, "HTTP/1.", 7) != 0 || strncmp(buf + 9, "200", 3) != 0) return -1;
    while (len < head + clen) {
      char skip[4096];
      ssize_t n = read(fd, skip, sizeof skip);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        return -1;
      }
      len += (size_t)n;
    }
    return 0;
  }
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s HOST PORT N [PATH]\n", argv[0]);
    return 2;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]);
  long n = atol(argv[3]);
  const char *path = argc > 4 ? argv[4] : "/plaintext";

  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if ((long)rl.rlim_cur < n + 16)
      fprintf(stderr, "idle_clients: fd limit %ld is below %ld connections\n", (long)rl.rlim_cur, n);
  }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_IGN);

  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
    fprintf(stderr, "idle_clients: bad host %s\n", host);
    return 2;
  }
  char req[512];
  int req_len = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n", path, host, port);

  int *fds = calloc((size_t)n, sizeof(int));
  long opened = 0, failed = 0;
  struct timeval tv = {.tv_sec = 5};
  for (long i = 0; i < n && !stop; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
      ++failed;
      if (failed == 1) perror("idle_clients: socket");
      continue;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || write(fd, req, (size_t)req_len) != req_len ||
        read_response(fd) != 0) {
      ++failed;
      if (failed == 1) fprintf(stderr, "idle_clients: connection %ld failed: %s\n", i, strerror(errno));
      close(fd);
      continue;
    }
    fds[opened++] = fd;
  }
  printf("ready %ld %ld\n", opened, failed);
  fflush(stdout);
  while (!stop) pause();
  long alive = 0;
  for (long i = 0; i < opened; ++i) {
    struct pollfd pfd = {.fd = fds[i], .events = POLLIN | POLLRDHUP};
    if (poll(&pfd, 1, 0) == 0) ++alive; /* nothing to read, no hangup: still open */
    close(fds[i]);
  }
  printf("alive %ld\n", alive);
  fflush(stdout);
  free(fds);
  return 0;
}
