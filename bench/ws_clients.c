/*
 * The client side of bench/ws_fanout.ts in C, used when a C compiler is at
 * hand (the bench compiles it; bench/ws_clients.mjs, the same clients on
 * Node.js, otherwise). Same protocol on stdin/stdout: one JSON line when every
 * client has its snapshot, "measure <epoch>" starts counting, "stop" prints
 * one JSON line of results and exits.
 *
 * Why C: on a 2-core machine the load generator shares the machine with the
 * server it measures, and the Node.js clients (~15 us a frame) kept their core
 * at 95%, so their own receive queue became part of the latency they reported.
 * Here a frame costs one read() and a scan of its bytes: what is left to
 * measure is the server.
 *
 * Config from the environment: WS_HOST, WS_PORT, WS_TOKEN, WS_CLIENTS,
 * WS_ALL (how many subscribe to /api/ws/prices), WS_ZONES (comma-separated;
 * the others subscribe to /api/ws/market/<zone>, round robin).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUCKETS 100001 /* 0.1 ms up to 10 s */
#define BUF_CAP (1 << 18)

typedef struct {
  int fd;
  char *buf;
  size_t len;
  int open;
} conn_t;

static double hist[BUCKETS], frame_hist[BUCKETS];
static int measuring = 0;
static double epoch_ms = 0;
static long frames = 0, ticks = 0, welcomed = 0, closed_n = 0;
static double bytes = 0;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int bucket(double ms) {
  long b = (long)(ms * 10 + 0.5);
  if (b < 0) b = 0;
  if (b >= BUCKETS) b = BUCKETS - 1;
  return (int)b;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return;
    }
    p += w;
    n -= (size_t)w;
  }
}

/* A client frame: always masked (RFC 6455 5.3); the mask may be zero, the bytes then go as they are. */
static void send_frame(int fd, int opcode, const char *payload, size_t len) {
  char out[256];
  if (len > 125) len = 125;
  out[0] = (char)(0x80 | opcode);
  out[1] = (char)(0x80 | len);
  memset(out + 2, 0, 4);
  memcpy(out + 6, payload, len);
  write_all(fd, out, 6 + len);
}

/* memmem's length-bounded cousin of strstr for the scans below. */
static const char *find(const char *p, const char *end, const char *needle) {
  size_t n = strlen(needle);
  if (p >= end) return NULL;
  return memmem(p, (size_t)(end - p), needle, n);
}

static void on_text(conn_t *c, const char *d, size_t n) {
  const char *end = d + n;
  if (n < 11 || d[10] != 'r') { /* not {"type":"prices" */
    if (n > 18 && memcmp(d, "{\"type\":\"snapshot\"", 18) == 0) welcomed++;
    else if (n > 19 && memcmp(d, "{\"type\":\"heartbeat\"", 19) == 0) send_frame(c->fd, 1, "{\"type\":\"pong\"}", 15);
    return;
  }
  if (!measuring) return;
  double received = now_ms();
  const char *at = find(d, end, "\"published_at\":");
  if (at) frame_hist[bucket(received - strtod(at + 15, NULL))]++;
  /* Rows are [zone, market, start, end, lmp, energy, congestion, loss]: congestion is between the last two
     commas of a row, and carries the bench's publish time (ms since its epoch). */
  long k = 0;
  const char *i = find(d, end, "[[");
  if (i) i += 1;
  while (i && i < end) {
    const char *close = memchr(i, ']', (size_t)(end - i));
    if (!close) break;
    const char *c2 = close - 1;
    while (c2 > i && *c2 != ',') c2--;
    const char *c1 = c2 - 1;
    while (c1 > i && *c1 != ',') c1--;
    hist[bucket(received - epoch_ms - strtod(c1 + 1, NULL))]++;
    k++;
    i = find(close, end, ",[");
    if (i) i += 1;
  }
  frames++;
  ticks += k;
  bytes += (double)n;
}

/* Every whole frame in the buffer; a partial one waits for the next read. */
static void drain(conn_t *c) {
  size_t off = 0;
  unsigned char *b = (unsigned char *)c->buf;
  while (c->len - off >= 2) {
    int opcode = b[off] & 0x0f;
    uint64_t len = b[off + 1] & 0x7f;
    size_t head = 2;
    if (len == 126) {
      if (c->len - off < 4) break;
      len = ((uint64_t)b[off + 2] << 8) | b[off + 3];
      head = 4;
    } else if (len == 127) {
      if (c->len - off < 10) break;
      len = 0;
      for (int j = 0; j < 8; j++) len = (len << 8) | b[off + 2 + j];
      head = 10;
    }
    if (c->len - off < head + len) {
      if (head + len > BUF_CAP) {
        fprintf(stderr, "frame of %llu bytes is over the client's buffer\n", (unsigned long long)len);
        exit(1);
      }
      break;
    }
    const char *payload = c->buf + off + head;
    if (opcode == 1) on_text(c, payload, (size_t)len);
    else if (opcode == 9) send_frame(c->fd, 10, payload, (size_t)len);
    else if (opcode == 8) {
      close(c->fd);
      c->open = 0;
      closed_n++;
      return;
    }
    off += head + (size_t)len;
  }
  if (off > 0) {
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
  }
}

/* Opens one WebSocket (blocking until the 101), then leaves it non-blocking. */
static void open_ws(conn_t *c, const char *host, int port, const char *path, const char *token) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, host, &a.sin_addr);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  char req[2048];
  int n = snprintf(req, sizeof req,
                   "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                   "Authorization: Bearer %s\r\n\r\n",
                   path, host, port, token);
  write_all(fd, req, (size_t)n);
  c->buf = malloc(BUF_CAP);
  c->len = 0;
  for (;;) {
    ssize_t r = read(fd, c->buf + c->len, BUF_CAP - c->len);
    if (r <= 0) die("upgrade read");
    c->len += (size_t)r;
    char *e = memmem(c->buf, c->len, "\r\n\r\n", 4);
    if (!e) continue;
    /* The accept key of RFC 6455's own sample nonce. */
    if (memcmp(c->buf, "HTTP/1.1 101", 12) != 0 || !memmem(c->buf, c->len, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", 28)) {
      fprintf(stderr, "upgrade of %s refused: %.*s\n", path, (int)(strchr(c->buf, '\r') - c->buf), c->buf);
      exit(1);
    }
    size_t rest = c->len - (size_t)(e + 4 - c->buf);
    memmove(c->buf, e + 4, rest);
    c->len = rest;
    break;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  c->fd = fd;
  c->open = 1;
}

static double percentile(double p, const double *h) {
  double total = 0, seen = 0;
  for (int i = 0; i < BUCKETS; i++) total += h[i];
  for (int i = 0; i < BUCKETS; i++) {
    seen += h[i];
    if (total > 0 && seen >= total * p) return i / 10.0;
  }
  return 0;
}

static const char *env(const char *k) {
  const char *v = getenv(k);
  if (!v) {
    fprintf(stderr, "%s is not set\n", k);
    exit(1);
  }
  return v;
}

int main(void) {
  const char *host = env("WS_HOST"), *token = env("WS_TOKEN");
  int port = atoi(env("WS_PORT")), n = atoi(env("WS_CLIENTS")), all = atoi(env("WS_ALL"));
  char zones_buf[512];
  snprintf(zones_buf, sizeof zones_buf, "%s", env("WS_ZONES"));
  char *zones[32];
  int nz = 0;
  for (char *s = strtok(zones_buf, ","); s && nz < 32; s = strtok(NULL, ",")) zones[nz++] = s;

  conn_t *cs = calloc((size_t)n, sizeof *cs);
  int ep = epoll_create1(0);
  double t0 = now_ms();
  for (int i = 0; i < n; i++) {
    char path[128];
    if (i < all) snprintf(path, sizeof path, "/api/ws/prices");
    else snprintf(path, sizeof path, "/api/ws/market/%s", zones[i % nz]);
    open_ws(&cs[i], host, port, path, token);
    drain(&cs[i]);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &cs[i]};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev) < 0) die("epoll_ctl");
  }
  struct epoll_event sev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, 0, &sev);

  int ready_said = 0;
  double started = 0, cpu0 = 0;
  char line[256];
  size_t line_len = 0;
  struct epoll_event evs[512];
  for (;;) {
    if (!ready_said && welcomed >= n) {
      printf("{\"ready\":true,\"connected\":%d,\"connectMs\":%.1f}\n", n, now_ms() - t0);
      fflush(stdout);
      ready_said = 1;
    }
    int k = epoll_wait(ep, evs, 512, 100);
    for (int e = 0; e < k; e++) {
      conn_t *c = evs[e].data.ptr;
      if (!c) { /* stdin */
        ssize_t r = read(0, line + line_len, sizeof line - 1 - line_len);
        if (r <= 0) return 0;
        line_len += (size_t)r;
        line[line_len] = 0;
        char *nl;
        while ((nl = strchr(line, '\n'))) {
          *nl = 0;
          if (strncmp(line, "measure", 7) == 0) {
            epoch_ms = strtod(line + 8, NULL);
            memset(hist, 0, sizeof hist);
            memset(frame_hist, 0, sizeof frame_hist);
            frames = ticks = 0;
            bytes = 0;
            measuring = 1;
            started = now_ms();
            cpu0 = cpu_seconds();
          } else if (strcmp(line, "stop") == 0) {
            measuring = 0;
            double seconds = (now_ms() - started) / 1000;
            printf("{\"seconds\":%.3f,\"frames\":%ld,\"ticks\":%ld,\"bytes\":%.0f,\"p50\":%.1f,\"p90\":%.1f,"
                   "\"p99\":%.1f,\"max\":%.1f,\"frameP50\":%.1f,\"frameP99\":%.1f,\"cpu\":%.4f,\"closed\":%ld}\n",
                   seconds, frames, ticks, bytes, percentile(0.5, hist), percentile(0.9, hist),
                   percentile(0.99, hist), percentile(1, hist), percentile(0.5, frame_hist),
                   percentile(0.99, frame_hist), (cpu_seconds() - cpu0) / seconds, closed_n);
            fflush(stdout);
            return 0;
          }
          size_t used = (size_t)(nl + 1 - line);
          memmove(line, nl + 1, line_len - used + 1);
          line_len -= used;
        }
        continue;
      }
      if (!c->open) continue;
      for (;;) {
        size_t room = BUF_CAP - c->len;
        ssize_t r = read(c->fd, c->buf + c->len, room);
        if (r > 0) {
          c->len += (size_t)r;
          drain(c);
          if (!c->open || (size_t)r < room) break; /* a short read: drained for now */
          continue;
        }
        if (r == 0) {
          close(c->fd);
          c->open = 0;
          closed_n++;
        }
        break;
      }
    }
  }
}
