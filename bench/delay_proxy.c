/*
 * A TCP proxy that delays every byte by a fixed time in each direction: a
 * memcached "on another host" for bench/run when the kernel has no netem
 * (this machine's has none). One thread, epoll, one timerfd with
 * nanosecond deadlines; each chunk read is forwarded once its due time has
 * come, in order per direction. Its own CPU per forwarded chunk is a few
 * microseconds (bench/run reports it), far below what a delayed round trip
 * costs a SIP worker.
 *
 * usage: delay_proxy LISTEN_PORT TARGET_PORT DELAY_US
 *   listens on 127.0.0.1:LISTEN_PORT, connects each client to
 *   127.0.0.1:TARGET_PORT; DELAY_US one way (a round trip gains twice it).
 * Prints "ready" on stdout once listening. Runs until killed. A connection
 * whose either side closes or fails is closed on both sides (data still
 * queued for it is dropped: fine for a benchmark, not for production).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAXCONN 512
#define CHUNK 65536

typedef struct chunk {
	struct chunk *next;
	uint64_t due_ns;
	size_t len, off;
	char data[];
} chunk_t;

/* one direction: bytes read from fd `from`, queued for fd `to` */
typedef struct pipe_dir {
	int from, to;
	chunk_t *head, *tail;
} pipe_dir_t;

typedef struct conn {
	int used;
	pipe_dir_t up, down; /* client->server, server->client */
} conn_t;

static conn_t conns[MAXCONN];
static uint64_t delay_ns;
static int ep, tfd;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void drop_queue(pipe_dir_t *d)
{
	chunk_t *c, *n;

	for(c = d->head; c; c = n) {
		n = c->next;
		free(c);
	}
	d->head = d->tail = NULL;
}

static void conn_close(conn_t *c)
{
	close(c->up.from);
	close(c->up.to);
	drop_queue(&c->up);
	drop_queue(&c->down);
	c->used = 0;
}

/* epoll data: index * 2 + (0: client side, 1: server side); -1 listener,
 * -2 timer */
static void watch(int fd, int64_t tag)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = (uint64_t)tag;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* arms the timer for the earliest due chunk (or disarms it) */
static void arm(void)
{
	uint64_t min = 0;
	struct itimerspec its;
	int i;

	for(i = 0; i < MAXCONN; i++) {
		if(!conns[i].used)
			continue;
		if(conns[i].up.head && (!min || conns[i].up.head->due_ns < min))
			min = conns[i].up.head->due_ns;
		if(conns[i].down.head && (!min || conns[i].down.head->due_ns < min))
			min = conns[i].down.head->due_ns;
	}
	memset(&its, 0, sizeof(its));
	if(min) {
		its.it_value.tv_sec = (time_t)(min / 1000000000ull);
		its.it_value.tv_nsec = (long)(min % 1000000000ull);
	}
	timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* sends what is due on d; -1 when its peer failed */
static int flush_due(pipe_dir_t *d, uint64_t now)
{
	chunk_t *c;
	ssize_t w;

	while((c = d->head) != NULL && c->due_ns <= now) {
		while(c->off < c->len) {
			w = send(d->to, c->data + c->off, c->len - c->off, MSG_NOSIGNAL);
			if(w < 0 && errno == EINTR)
				continue;
			if(w <= 0)
				return -1; /* blocking socket: only a real failure */
			c->off += (size_t)w;
		}
		d->head = c->next;
		if(d->head == NULL)
			d->tail = NULL;
		free(c);
	}
	return 0;
}

/* reads what is there on d->from into a due chunk; -1 on EOF or error */
static int take(pipe_dir_t *d)
{
	char buf[CHUNK];
	ssize_t r = recv(d->from, buf, sizeof(buf), MSG_DONTWAIT);
	chunk_t *c;

	if(r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if(r <= 0)
		return -1;
	c = malloc(sizeof(*c) + (size_t)r);
	if(c == NULL)
		return -1;
	c->next = NULL;
	c->due_ns = now_ns() + delay_ns;
	c->len = (size_t)r;
	c->off = 0;
	memcpy(c->data, buf, (size_t)r);
	if(d->tail)
		d->tail->next = c;
	else
		d->head = c;
	d->tail = c;
	return 0;
}

static void accept_one(int lfd, int target_port)
{
	struct sockaddr_in sa;
	int cfd, sfd, i;

	cfd = accept(lfd, NULL, NULL);
	if(cfd < 0)
		return;
	for(i = 0; i < MAXCONN && conns[i].used; i++)
		;
	sfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)target_port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if(i == MAXCONN || sfd < 0 ||
			connect(sfd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(cfd);
		if(sfd >= 0)
			close(sfd);
		return;
	}
	nodelay(cfd);
	nodelay(sfd);
	memset(&conns[i], 0, sizeof(conns[i]));
	conns[i].used = 1;
	conns[i].up.from = cfd;
	conns[i].up.to = sfd;
	conns[i].down.from = sfd;
	conns[i].down.to = cfd;
	watch(cfd, (int64_t)i * 2);
	watch(sfd, (int64_t)i * 2 + 1);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct epoll_event evs[64];
	int lfd, one = 1, n, i, target_port;
	uint64_t exp, now;

	if(argc != 4) {
		fprintf(stderr, "usage: delay_proxy LISTEN_PORT TARGET_PORT "
						"DELAY_US\n");
		return 1;
	}
	target_port = atoi(argv[2]);
	delay_ns = (uint64_t)atoll(argv[3]) * 1000ull;
	/* wake up on time, not up to 50 us late */
	prctl(PR_SET_TIMERSLACK, 1UL);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
			listen(lfd, 128) < 0) {
		perror("delay_proxy: listen");
		return 1;
	}
	ep = epoll_create1(0);
	tfd = timerfd_create(CLOCK_MONOTONIC, 0);
	watch(lfd, -1);
	watch(tfd, -2);
	printf("ready\n");
	fflush(stdout);
	for(;;) {
		n = epoll_wait(ep, evs, 64, -1);
		for(i = 0; i < n; i++) {
			int64_t tag = (int64_t)evs[i].data.u64;
			conn_t *c;

			if(tag == -1) {
				accept_one(lfd, target_port);
				continue;
			}
			if(tag == -2) {
				if(read(tfd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
					return 1;
				continue;
			}
			c = &conns[tag / 2];
			if(!c->used)
				continue;
			if(take(tag % 2 ? &c->down : &c->up) < 0)
				conn_close(c);
		}
		now = now_ns();
		for(i = 0; i < MAXCONN; i++) {
			if(!conns[i].used)
				continue;
			if(flush_due(&conns[i].up, now) < 0 ||
					flush_due(&conns[i].down, now) < 0)
				conn_close(&conns[i]);
		}
		arm();
	}
}
