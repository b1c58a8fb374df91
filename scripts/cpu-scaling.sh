#!/usr/bin/env bash
# How much faster two jobs run on this machine's cores than one, before lrbs is involved: a
# register-only AVX2 multiply-add loop (no memory traffic) and a float sum streaming a buffer
# that fits the L2 cache, the shared L3, or neither; each timed alone and as two copies at once.
# A ratio below 2 for the compute loop means the cores share execution units (SMT on the host);
# below 2 only for the streaming loops means they share caches or memory bandwidth, which caps
# any 2-worker speed-up of work that touches memory (README, "Start-up").
# Usage: scripts/cpu-scaling.sh   (needs gcc; about 30 s)
set -euo pipefail
grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo || { echo "cpu-scaling.sh: the compute loop needs AVX2 and FMA, which this CPU lacks" >&2; exit 1; }
command -v gcc > /dev/null || { echo "cpu-scaling.sh: needs gcc (apt-get install gcc)" >&2; exit 1; }
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
cat > "$dir/probe.c" <<'C'
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
int main(int argc, char** argv) {
  long kb = atol(argv[1]);  /* 0: the compute loop; else the buffer's size in KiB */
  double t0, sink = 0;
  if (kb == 0) {
    __m256 a[8], b = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    for (int k = 0; k < 8; k++) a[k] = _mm256_set1_ps((float)k);
    t0 = now();
    for (long i = 0; i < 1000000000L; i++)
      for (int k = 0; k < 8; k++) a[k] = _mm256_fmadd_ps(a[k], b, c);
    float out[8]; for (int k = 0; k < 8; k++) { _mm256_storeu_ps(out, a[k]); sink += out[0]; }
  } else {
    long n = kb * 256; float* x = malloc(n * sizeof(float));
    for (long i = 0; i < n; i++) x[i] = (float)(i & 1023);
    long reps = 32L * 1024 * 1024 / kb;  /* 32 GiB streamed in all */
    t0 = now();
    for (long r = 0; r < reps; r++) { float acc[16] = {0}; for (long i = 0; i < n; i += 16) for (int k = 0; k < 16; k++) acc[k] += x[i + k]; sink += acc[0]; }
  }
  printf("%.3f %g\n", now() - t0, sink);
  return 0;
}
C
gcc -O3 -mavx2 -mfma -o "$dir/probe" "$dir/probe.c"
# the caches' sizes as the kernel reports them (getconf's can be wrong inside a VM)
size_kb() { local s; s=$(cat "/sys/devices/system/cpu/cpu0/cache/index$1/size" 2>/dev/null || echo "$2K"); echo "${s%K}"; }
l2kb=$(size_kb 2 1024)
l3kb=$(size_kb 3 32768)
printf '%-34s %8s %8s %8s\n' "loop" "alone s" "two s" "2 over 1"
for kb in 0 $((l2kb / 4)) $((l3kb / 4)) $((l3kb * 8)); do
  case $kb in
    0) name="compute, registers only" ;;
    $((l2kb / 4))) name="stream $kb KiB (a quarter of L2)" ;;
    $((l3kb / 4))) name="stream $((kb / 1024)) MiB (a quarter of L3)" ;;
    *) name="stream $((kb / 1024)) MiB (8 x L3: memory)" ;;
  esac
  one=$("$dir/probe" $kb | cut -d' ' -f1)
  two=$( ( "$dir/probe" $kb & "$dir/probe" $kb; wait ) | cut -d' ' -f1 | sort -n | tail -1)
  awk -v n="$name" -v a="$one" -v b="$two" 'BEGIN { printf "%-34s %8.3f %8.3f %7.2fx\n", n, a, b, 2 * a / b }'
done
