/* Thread count for BLIS and the OpenMP loops of the ops (--threads), and the BLIS
 * kernel choice. */
#ifndef APG_THREADS_H
#define APG_THREADS_H
/* Picks the BLIS kernel set before BLIS initialises: Debian's BLIS 0.9 does not know
 * recent AVX-512 CPUs (e.g. AMD family 1Ah) and falls back to slow generic kernels,
 * so on any CPU with AVX-512F it selects the SKX kernels unless BLIS_ARCH_TYPE is
 * already set. Idempotent; call before the first BLIS call. */
void apg_blis_setup(void);
const char *apg_blis_arch(void);   /* the kernel set BLIS uses, e.g. "skx" */
void apg_set_threads(int n);
int  apg_threads(void);
/* The cores online (1..1024), and n clamped to 1..apg_cores() (--threads is capped
 * there: more threads than cores only oversubscribe them). */
int  apg_cores(void);
int  apg_threads_cap(int n);
/* Parallelise an elementwise loop over n items only past this size. */
#define APG_PAR_MIN 32768
#endif
