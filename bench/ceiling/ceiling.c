/* ceiling: what one core can do at best for the bench/run scenarios.
 *
 * A single-threaded epoll loop that answers a fixed "Hello, World!" HTTP/1.1
 * response per request without parsing: it counts "\r\n\r\n" in what it reads
 * (keeping the tail across reads) and writes one response per occurrence, so
 * pipelined requests get pipelined answers. The only look at the request is a
 * search for "Connection: close", so the close scenario really closes.
 * POST bodies are not read as bodies; a body without "\r\n\r\n" in it is
 * simply skipped, which is fine for a ceiling.
 *
 * Usage: ceiling --listen 127.0.0.1:PORT
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static const char kResp[] =
    "HTTP/1.1 200 OK\r\n"
    "Server: ceiling\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 13\r\n"
    "\r\n"
    "Hello, World!";
static const char kRespClose[] =
    "HTTP/1.1 200 OK\r\n"
    "Server: ceiling\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 13\r\n"
    "Connection: close\r\n"
    "\r\n"
    "Hello, World!";

struct conn {
  int fd;
  unsigned tail;     /* last up to 3 bytes of the previous read, packed */
  unsigned tail_len;
  char *out;         /* pending output that the socket did not take */
  size_t out_len, out_cap;
  int closing;       /* close once out is flushed */
};

static struct conn **conns;
static int conns_cap;

static struct conn *conn_get(int fd) {
  if (fd >= conns_cap) {
    int ncap = conns_cap ? conns_cap : 1024;
    while (ncap <= fd) ncap *= 2;
    conns = realloc(conns, sizeof(*conns) * (size_t)ncap);
    memset(conns + conns_cap, 0, sizeof(*conns) * (size_t)(ncap - conns_cap));
    conns_cap = ncap;
  }
  if (!conns[fd]) {
    conns[fd] = calloc(1, sizeof(struct conn));
    conns[fd]->fd = fd;
  }
  return conns[fd];
}

static void conn_close(int ep, struct conn *c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  conns[c->fd] = NULL;
  free(c->out);
  free(c);
}

static void out_append(struct conn *c, const char *p, size_t n) {
  if (c->out_len + n > c->out_cap) {
    size_t ncap = c->out_cap ? c->out_cap * 2 : 4096;
    while (ncap < c->out_len + n) ncap *= 2;
    c->out = realloc(c->out, ncap);
    c->out_cap = ncap;
  }
  memcpy(c->out + c->out_len, p, n);
  c->out_len += n;
}

/* Returns -1 on a fatal socket error. */
static int flush_out(int ep, struct conn *c) {
  size_t off = 0;
  while (off < c->out_len) {
    ssize_t w = write(c->fd, c->out + off, c->out_len - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      return -1;
    }
    off += (size_t)w;
  }
  memmove(c->out, c->out + off, c->out_len - off);
  c->out_len -= off;
  if (c->out_len == 0) { /* drained: an idle connection keeps no buffer */
    free(c->out);
    c->out = NULL;
    c->out_cap = 0;
  }
  struct epoll_event ev = {.events = EPOLLIN | (c->out_len ? EPOLLOUT : 0), .data.fd = c->fd};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
  return 0;
}

static int count_terminators(struct conn *c, const char *buf, size_t n) {
  /* Prefix the carried tail so a "\r\n\r\n" split across reads is found. */
  char tmp[3];
  unsigned t = c->tail_len;
  for (unsigned i = 0; i < t; ++i) tmp[i] = (char)(c->tail >> (8 * (t - 1 - i)));
  int count = 0;
  /* Boundary region: tail + first 3 bytes. */
  char edge[6];
  size_t e = 0;
  for (unsigned i = 0; i < t; ++i) edge[e++] = tmp[i];
  for (size_t i = 0; i < n && i < 3; ++i) edge[e++] = buf[i];
  for (size_t i = 0; i + 4 <= e; ++i)
    if (i < t && memcmp(edge + i, "\r\n\r\n", 4) == 0) ++count;
  const char *p = buf, *end = buf + n;
  while ((p = memmem(p, (size_t)(end - p), "\r\n\r\n", 4)) != NULL) {
    ++count;
    p += 4;
  }
  /* New tail: last 3 bytes of (tail + buf). */
  char all[3];
  size_t a = 0;
  if (n >= 3) {
    memcpy(all, end - 3, 3);
    a = 3;
  } else {
    size_t need = 3 - n;
    size_t from_tail = need < t ? need : t;
    for (size_t i = t - from_tail; i < t; ++i) all[a++] = tmp[i];
    for (size_t i = 0; i < n; ++i) all[a++] = buf[i];
  }
  c->tail = 0;
  for (size_t i = 0; i < a; ++i) c->tail = (c->tail << 8) | (unsigned char)all[i];
  c->tail_len = (unsigned)a;
  return count;
}

int main(int argc, char **argv) {
  const char *listen_arg = "127.0.0.1:8080";
  for (int i = 1; i < argc; ++i)
    if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) listen_arg = argv[++i];
  char host[64];
  const char *colon = strrchr(listen_arg, ':');
  if (!colon || (size_t)(colon - listen_arg) >= sizeof host) {
    fprintf(stderr, "ceiling: bad --listen %s\n", listen_arg);
    return 2;
  }
  memcpy(host, listen_arg, (size_t)(colon - listen_arg));
  host[colon - listen_arg] = 0;
  signal(SIGPIPE, SIG_IGN);

  int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 || bind(ls, (struct sockaddr *)&sa, sizeof sa) < 0 ||
      listen(ls, 4096) < 0) {
    perror("ceiling: bind/listen");
    return 1;
  }
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);

  static char buf[64 * 1024];
  struct epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("ceiling: epoll_wait");
      return 1;
    }
    for (int i = 0; i < n; ++i) {
      int fd = evs[i].data.fd;
      if (fd == ls) {
        for (;;) {
          int cfd = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
          if (cfd < 0) break;
          setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          conn_get(cfd);
          struct epoll_event cev = {.events = EPOLLIN, .data.fd = cfd};
          epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
        }
        continue;
      }
      struct conn *c = conn_get(fd);
      if (evs[i].events & EPOLLOUT) {
        if (flush_out(ep, c) < 0 || (c->closing && c->out_len == 0)) {
          conn_close(ep, c);
          continue;
        }
      }
      if (!(evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      ssize_t r = read(fd, buf, sizeof buf);
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
        conn_close(ep, c);
        continue;
      }
      if (r < 0) continue;
      int reqs = count_terminators(c, buf, (size_t)r);
      if (reqs == 0) continue;
      int close_req = memmem(buf, (size_t)r, "onnection: close", 16) != NULL ||
                      memmem(buf, (size_t)r, "ONNECTION: close", 16) != NULL;
      if (close_req) c->closing = 1;
      if (c->out_len) { /* still backed up: queue behind what is pending */
        for (int k = 0; k < reqs; ++k) {
          if (close_req && k == reqs - 1)
            out_append(c, kRespClose, sizeof kRespClose - 1);
          else
            out_append(c, kResp, sizeof kResp - 1);
        }
        if (flush_out(ep, c) < 0 || (c->closing && c->out_len == 0)) conn_close(ep, c);
        continue;
      }
      /* Common case: build the answers in a shared buffer and write them at
       * once; only what the socket does not take is copied to the connection,
       * so an idle connection owns no buffer. */
      static char resp[64 * 1024];
      size_t len = 0;
      int k = 0;
      for (; k < reqs && len + sizeof kRespClose <= sizeof resp; ++k) {
        const char *r1 = (close_req && k == reqs - 1) ? kRespClose : kResp;
        size_t n1 = (close_req && k == reqs - 1) ? sizeof kRespClose - 1 : sizeof kResp - 1;
        memcpy(resp + len, r1, n1);
        len += n1;
      }
      ssize_t w = write(fd, resp, len);
      if (w < 0 && errno != EAGAIN && errno != EINTR) {
        conn_close(ep, c);
        continue;
      }
      if (w < 0) w = 0;
      if ((size_t)w < len || k < reqs) {
        out_append(c, resp + w, len - (size_t)w);
        for (; k < reqs; ++k) {
          if (close_req && k == reqs - 1)
            out_append(c, kRespClose, sizeof kRespClose - 1);
          else
            out_append(c, kResp, sizeof kResp - 1);
        }
        if (flush_out(ep, c) < 0) conn_close(ep, c);
      } else if (c->closing) {
        conn_close(ep, c);
      }
    }
  }
}
