#!/usr/bin/env python3
"""GEMM limit of an MLP training step: times BLIS sgemm (the library apg links, through
ctypes, one thread unless -t, the kernel set apg selects) on the three products of each layer of
a step -- y = x W^T, dx = dy W, dW = dy^T x -- for batch B and widths D0 -> D1 -> ...,
and prints the step's multiply-adds, the summed GEMM time, the GFLOP/s BLIS reaches and
the samples/s a step made of nothing but these GEMMs would reach. With -t T, BLIS runs
each product on T threads of its own (its OpenMP threading): the scaling that the
machine allows these shapes, the ceiling for apg's own threads.

usage: bench_gemm.py [-t THREADS] BLIS_LIB_DIR B D0 D1 [D2 ...]"""
import ctypes, os, sys, time

def main():
    args, threads = sys.argv[1:], 1
    if args[:1] == ["-t"]:
        threads, args = int(args[1]), args[2:]
    if len(args) < 4 or threads < 1:
        sys.exit(__doc__)
    libdir, B, dims = args[0], int(args[1]), [int(d) for d in args[2:]]
    flags = open("/proc/cpuinfo").read()
    if "BLIS_ARCH_TYPE" not in os.environ and " avx512f" in flags:
        os.environ["BLIS_ARCH_TYPE"] = "0"          # SKX, as core/threads.c selects
    blis = ctypes.CDLL(os.path.join(libdir, "libblis.so.4"))
    blis.bli_thread_set_num_threads(ctypes.c_long(threads))
    NT, T = 0, 8                                     # BLIS_NO_TRANSPOSE, BLIS_TRANSPOSE
    one = ctypes.c_float(1.0)
    L = ctypes.c_long
    def buf(n):
        a = (ctypes.c_float * n)()
        for i in range(0, n, 97): a[i] = 0.01 * (i % 13)
        return a
    def gemm(ta, tb, m, n, k):
        """seconds of C (m,n) = op(A) op(B) + C, row-major, median of 7 runs of 20."""
        a, b, c = buf(m * k), buf(k * n), buf(m * n)
        lda = m if ta else k
        ldb = k if tb else n
        args = (ta, tb, L(m), L(n), L(k), ctypes.byref(one), a, L(lda), L(1), b, L(ldb), L(1),
                ctypes.byref(one), c, L(n), L(1))
        for _ in range(5): blis.bli_sgemm(*args)
        ts = []
        for _ in range(7):
            t0 = time.perf_counter()
            for _ in range(20): blis.bli_sgemm(*args)
            ts.append((time.perf_counter() - t0) / 20)
        return sorted(ts)[3]
    total_t, total_mac = 0.0, 0
    for M, N in zip(dims, dims[1:]):
        for (ta, tb, m, n, k) in ((NT, NT, B, N, M),    # y = x W^T (W^T kept row-major)
                                  (NT, NT, B, M, N),    # dx = dy W
                                  (T, NT, N, M, B)):    # dW = dy^T x
            total_t += gemm(ta, tb, m, n, k)
            total_mac += m * n * k
    print("gemm_macs_per_step %d gemm_seconds_per_step %.6f blis_gflops %.1f gemm_limit_samples_per_s %.0f"
          % (total_mac, total_t, 2 * total_mac / total_t / 1e9, B / total_t))

if __name__ == "__main__":
    main()
