/*
 * The floor for the per-operation benchmark: the same loop the Lua script
 * runs inside Kamailio (N sets, then N gets, of one key with one value), done
 * directly with libmemcached from C. One connection, made before timing, so
 * only round trips and client-side work are measured.
 *
 * usage: raw_libmemcached HOST PORT N VALUE_SIZE [binary(0|1)] [nodelay(0|1)]
 * prints: set_us=<per set> get_us=<per get> set_cpu_us=... get_cpu_us=... n=<N>
 * (wall clock, then this process's on-CPU time from /proc/self/schedstat,
 * the same clocks the Lua loop reads)
 * exit 0 on success; 1 on a usage error; 2 when a call fails or a value read
 * back differs from the one written.
 */
#include <libmemcached/memcached.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* On-CPU time of this process in ns; 0 when schedstat is not there. */
static double cpu_ns(void)
{
	FILE *f = fopen("/proc/self/schedstat", "r");
	double v = 0;

	if(f == NULL)
		return 0;
	if(fscanf(f, "%lf", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	memcached_st *mc = NULL;
	memcached_return_t rc;
	const char *key = "bench_op_key";
	char *val = NULL;
	char *got = NULL;
	size_t glen = 0;
	uint32_t flags = 0;
	long n, vsize, i;
	double t0, t1, t2, c0, c1, c2;
	int ret = 2;

	if(argc < 5) {
		fprintf(stderr, "usage: %s HOST PORT N VALUE_SIZE [binary] "
						"[nodelay]\n", argv[0]);
		return 1;
	}
	n = atol(argv[3]);
	vsize = atol(argv[4]);
	if(n <= 0 || vsize <= 0)
		return 1;
	val = malloc(vsize);
	if(val == NULL)
		return 2;
	memset(val, 'x', vsize);

	mc = memcached_create(NULL);
	if(mc == NULL)
		goto done;
	memcached_server_add(mc, argv[1], (in_port_t)atoi(argv[2]));
	if(argc > 5 && atoi(argv[5]))
		memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1);
	if(argc <= 6 || atoi(argv[6]))
		memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);

	/* connect and warm up outside the timed loops */
	rc = memcached_set(mc, key, strlen(key), val, vsize, 60, 1);
	if(!memcached_success(rc)) {
		fprintf(stderr, "set: %s\n", memcached_strerror(mc, rc));
		goto done;
	}

	c0 = cpu_ns();
	t0 = now_us();
	for(i = 0; i < n; i++) {
		rc = memcached_set(mc, key, strlen(key), val, vsize, 60, 1);
		if(!memcached_success(rc)) {
			fprintf(stderr, "set: %s\n", memcached_strerror(mc, rc));
			goto done;
		}
	}
	t1 = now_us();
	c1 = cpu_ns();
	for(i = 0; i < n; i++) {
		got = memcached_get(mc, key, strlen(key), &glen, &flags, &rc);
		if(got == NULL || glen != (size_t)vsize) {
			fprintf(stderr, "get: %s\n", memcached_strerror(mc, rc));
			goto done;
		}
		free(got);
		got = NULL;
	}
	t2 = now_us();
	c2 = cpu_ns();

	printf("set_us=%.3f get_us=%.3f set_cpu_us=%.3f get_cpu_us=%.3f n=%ld\n",
			(t1 - t0) / n, (t2 - t1) / n, (c1 - c0) / 1e3 / n,
			(c2 - c1) / 1e3 / n, n);
	ret = 0;
done:
	free(got);
	free(val);
	if(mc != NULL)
		memcached_free(mc);
	return ret;
}
