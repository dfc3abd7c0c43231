/*
 * A traced program hostile to whoever replays its capture (samples/hostile.raw,
 * made by samples/regenerate.ts): terminal escapes (clear screen, window title,
 * OSC 8 link), fake lines (LF, CR), a bidi override, a C1 CSI, invalid UTF-8 in
 * its cwd, argv, env names and values, file names, failed exec paths, name
 * lookups and DNS queries; one argument of 300 KiB (cut at the args limit); a
 * chain of processes each forking its successor, argv[1] levels deep.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLEAR "\x1b[2J\x1b[H"
#define TITLE "\x1b]0;pwned title\x07"
#define LINK "\x1b]8;;http://evil.invalid/\x1b\\click me\x1b]8;;\x1b\\"
#define FAKE "line1\nFAKE: root exit 0"
#define CR "cr\rFAKE: overwritten"
#define RLO "rtl \xe2\x80\xae" "exe.txt\xe2\x80\xac done"
#define CSI "csi \xc2\x9b" "31mred"
#define RAW "raw \x9b" "31m \xff\xfe invalid"

static const char *hostile[] = {CLEAR, TITLE, LINK, FAKE, CR, RLO, CSI, RAW};
#define N (sizeof hostile / sizeof hostile[0])

static void chain(int depth)
{
	/* each process forks its successor and waits for it: a chain `depth` deep */
	for (int i = 0; i < depth; i++) {
		pid_t p = fork();
		if (p < 0) _exit(1);
		if (p > 0) {
			int st;
			waitpid(p, &st, 0);
			_exit(0);
		}
	}
	_exit(3); /* the deepest one fails */
}

static void dns_query(const char *label)
{
	unsigned char q[512] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
	size_t n = 12, len = strlen(label);
	if (len > 63) len = 63;
	q[n++] = (unsigned char)len;
	memcpy(q + n, label, len);
	n += len;
	memcpy(q + n, "\x07invalid\x00\x00\x01\x00\x01", 13);
	n += 13;
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(53)};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	sendto(s, q, n, 0, (struct sockaddr *)&a, sizeof a);
	close(s);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0) {
		/* the exec'd child: files, lookups, DNS on the wire, a refused connect, a deep chain */
		for (size_t i = 0; i < N; i++) {
			int fd = open(hostile[i], O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
			if (fd >= 0) close(fd);
			char missing[256];
			snprintf(missing, sizeof missing, "missing/%s", hostile[i]);
			open(missing, O_RDONLY);
			struct addrinfo hints = {.ai_flags = AI_NUMERICHOST}, *res;
			if (getaddrinfo(hostile[i], "80", &hints, &res) == 0) freeaddrinfo(res);
			dns_query(hostile[i]);
		}
		int s = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(9)};
		inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
		connect(s, (struct sockaddr *)&a, sizeof a);
		close(s);
		return 3;
	}
	/* the parent: a deep chain (forked from this small argv: fork spans repeat their image's argv), a cwd,
	   failed execs and an exec whose argv and env are hostile, one argument huge */
	pid_t p = fork();
	if (p == 0) chain(argc > 1 ? atoi(argv[1]) : 300);
	int st;
	waitpid(p, &st, 0);
	mkdir(CLEAR, 0755);
	if (chdir(CLEAR) != 0) return 1;
	for (size_t i = 0; i < N; i++) {
		char path[256];
		snprintf(path, sizeof path, "/nonexistent/%s", hostile[i]);
		execl(path, path, (char *)NULL);
	}
	size_t huge = 100 * 1024;
	char *big[3];
	for (int k = 0; k < 3; k++) {
		big[k] = malloc(huge + 1);
		memset(big[k], 'A' + k, huge);
		big[k][huge] = 0;
		memcpy(big[k], CLEAR FAKE, strlen(CLEAR FAKE));
	}
	char *cargv[] = {"/proc/self/exe", "child", (char *)hostile[0], (char *)hostile[1], (char *)hostile[2],
			 (char *)hostile[3], (char *)hostile[4], (char *)hostile[5], (char *)hostile[6], (char *)hostile[7],
			 big[0], big[1], big[2], NULL};
	char *cenv[] = {"PATH=/usr/bin:/bin", "NL=" FAKE, "TITLE=" TITLE, "LINK=" LINK, "CR=" CR, "RLO=" RLO, "CSI=" CSI, "RAW=" RAW,
			"N" RLO "=name", "E" CLEAR "=name", NULL};
	execve("/proc/self/exe", cargv, cenv);
	return 127;
}
