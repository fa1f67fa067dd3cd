/* The tape. Graph constructors (core/ops.h) run the op's forward at once and, when the
 * graph records, append the result to the tape; graph_backward() walks the tape in
 * reverse calling op_table[op].backward. Everything a step creates lives in the step
 * arena and is dropped by graph_reset(). */
#ifndef APG_GRAPH_H
#define APG_GRAPH_H
#include "arena.h"
#include "tensor.h"

struct graph {
    struct arena    arena;      /* step arena: activations, grads, scratch */
    struct tensor **tape;       /* recorded nodes in creation order */
    int             n_tape, cap_tape;
    int             record;     /* 1: training (record + allow backward), 0: inference */
};

void graph_init(struct graph *g, size_t arena_bytes);
void graph_free(struct graph *g);
/* Drop every tensor of the last step (keeps the arena's memory). */
void graph_reset(struct graph *g);

/* A leaf tensor holding caller data (inputs): no gradient. data is allocated in the
 * step arena when NULL is passed. */
struct tensor *graph_input(struct graph *g, float *data, int ndim, const int *shape);

/* Used by op constructors: a new node with the given shape and sources. The node needs
 * a gradient when any source does (and the graph records). Its data is allocated; the
 * constructor fills iarg/farg/ids and then calls graph_run(). */
struct tensor *graph_node(struct graph *g, int op, int ndim, const int *shape,
                          int n_src, struct tensor *const *src);
/* Runs the forward of a node built by graph_node and records it. Returns it. */
struct tensor *graph_run(struct graph *g, struct tensor *t);

/* Reverse sweep from a scalar loss: d loss / d loss = 1. Parameter gradients ADD into
 * their persistent buffers (the optimizer zeroes them). */
void graph_backward(struct graph *g, struct tensor *loss);
/* 1 (the default): a node's gradient buffer is left unzeroed when its first writer
 * stores instead of adding (T_GRAD_FRESH); 0: every buffer is zeroed and every op adds
 * (the reference the tests compare the stores with, bit for bit). */
extern int graph_first_writes;

/* The multiply-adds of the recorded step's products (linear, matmul, bmm, rowmv,
 * rowmvp, lrmv, genmv): their forwards and, with_backward, one product of the same size per
 * operand gradient (lrmv: T_r = S_r V again, dT and dU through dW_r = dy_r x_r^T, dS and dV from dT,
 * dx as T_r^T (U^T dy_r)).
 * Elementwise ops are not counted: this is the GEMM-like work a step implies. */
double graph_macs(const struct graph *g, int with_backward);

/* Zeroed float scratch from the step arena (for op caches). */
float *graph_scratch(struct graph *g, int n);

#endif
