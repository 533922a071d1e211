// OpenBLAS's own cblas.h (pkg-config puts .../openblas-pthread/ first on the include path), so
// the binary links libopenblas directly, whatever the libblas alternative points at.
#include <cblas.h>

// The vector extensions OpenBLAS's kernels need, from CPUID and XGETBV (the OS must save the wider
// registers too), without /proc/cpuinfo, which the systemd unit's ProcSubset=pid hides.
// Bits: 1 AVX, 2 FMA, 4 AVX2, 8 AVX-512 F+DQ+BW+VL.
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
static inline int ttad_cpu_vector_features(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
    if (!osxsave) return 0;
    unsigned xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    int ymm = (xcr0_lo & 0x6) == 0x6, zmm = (xcr0_lo & 0xe6) == 0xe6;
    int features = 0;
    if (avx && ymm) features |= 1;
    if (fma && ymm) features |= 2;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        if (((b >> 5) & 1) && ymm) features |= 4;
        if (((b >> 16) & 1) && ((b >> 17) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1) && zmm) features |= 8;
    }
    return features;
}
#else
static inline int ttad_cpu_vector_features(void) { return 0; }
#endif
