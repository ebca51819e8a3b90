/* functional: hardware-aware inference of a quantized network. Every conv / linear layer is
 * computed by xbar_functional_mvm, group by group (High and Low strips on their crossbars,
 * partial sums through the ADCs), then aligned and dequantised as the integer path (E13). */
#ifndef CS_XBAR_FUNCTIONAL_H
#define CS_XBAR_FUNCTIONAL_H

#include "quant/quant.h"
#include "xbar/xbar.h"

typedef struct xbar_functional_ctx {
    quant_net *qn;
    const xbar_params *hw;
    int32_t *w, *x; /* a group's weight codes (M x rows) and the input matrix (rows x cols) */
    int64_t *acc_h, *acc_l;
    float *fcol, *codes;
    int status; /* first error inside a forward pass (passes cannot return one) */
    cs_error err;
} xbar_functional_ctx;

/* Route net's forward passes through the crossbar model (filter granularity, activations
 * quantized). Undo with nn_set_qforward(net, NULL, NULL), then xbar_functional_free. */
int xbar_functional_use(nn_net *net, quant_net *qn, const xbar_params *hw, xbar_functional_ctx *ctx,
                        cs_error *err);
void xbar_functional_free(xbar_functional_ctx *ctx);

#endif
