/* Architectures (DESIGN §2): CIFAR-style ResNet-20/32/56 (basic blocks, 16-32-64, parameter-
 * free "option A" shortcuts), ResNet-18/34 (basic blocks, 64-512, 3x3 stem, no max-pool,
 * 1x1-conv "downsample" shortcuts), ResNet-50 (bottlenecks, expansion 4, stride on the 3x3
 * conv as torchvision), and a tiny two-conv network for tests. Names are PyTorch state-dict
 * names (torchvision for 18/34/50). */
#include <math.h>
#include <stdio.h>

#include "nn/nn_internal.h"

static int channels(double width, int base) {
    int c = (int)floor(base * width + 0.5);
    return c < 1 ? 1 : c;
}

/* conv-bn(-relu) pair; returns the output tensor or -1. */
static int conv_bn(nn_net *net, const char *prefix, const char *conv, const char *bn, int in, int M,
                   int K, int stride, int relu, cs_error *err) {
    char cn[CS_NAME_MAX], bnn[CS_NAME_MAX];
    snprintf(cn, sizeof cn, "%s%s", prefix, conv);
    snprintf(bnn, sizeof bnn, "%s%s", prefix, bn);
    int t = net_conv(net, cn, in, M, K, stride, K / 2, err);
    return t < 0 ? -1 : net_bn(net, bnn, t, relu, err);
}

static int basic_block(nn_net *net, const char *prefix, int in, int planes, int stride,
                       int option_a, cs_error *err) {
    int cin = net->tensors[in].C;
    int t = conv_bn(net, prefix, "conv1", "bn1", in, planes, 3, stride, 1, err);
    if (t >= 0) t = conv_bn(net, prefix, "conv2", "bn2", t, planes, 3, 1, 0, err);
    if (t < 0) return -1;
    int sc = in;
    if (stride != 1 || cin != planes)
        sc = option_a ? net_shortcut_a(net, in, planes, stride, err)
                      : conv_bn(net, prefix, "downsample.0", "downsample.1", in, planes, 1, stride,
                                0, err);
    return sc < 0 ? -1 : net_add(net, t, sc, 1, err);
}

static int bottleneck(nn_net *net, const char *prefix, int in, int planes, int stride,
                      cs_error *err) {
    int cin = net->tensors[in].C, out = 4 * planes;
    int t = conv_bn(net, prefix, "conv1", "bn1", in, planes, 1, 1, 1, err);
    if (t >= 0) t = conv_bn(net, prefix, "conv2", "bn2", t, planes, 3, stride, 1, err);
    if (t >= 0) t = conv_bn(net, prefix, "conv3", "bn3", t, out, 1, 1, 0, err);
    if (t < 0) return -1;
    int sc = in;
    if (stride != 1 || cin != out)
        sc = conv_bn(net, prefix, "downsample.0", "downsample.1", in, out, 1, stride, 0, err);
    return sc < 0 ? -1 : net_add(net, t, sc, 1, err);
}

static int cifar_resnet(nn_net *net, int depth, cs_error *err) {
    int blocks = (depth - 2) / 6, t = 0;
    t = conv_bn(net, "", "conv1", "bn1", t, channels(net->width, 16), 3, 1, 1, err);
    for (int s = 0; s < 3 && t >= 0; s++)
        for (int b = 0; b < blocks && t >= 0; b++) {
            char prefix[CS_NAME_MAX];
            snprintf(prefix, sizeof prefix, "layer%d.%d.", s + 1, b);
            t = basic_block(net, prefix, t, channels(net->width, 16 << s), s > 0 && b == 0 ? 2 : 1,
                            1, err);
        }
    return t;
}

static int imagenet_style_resnet(nn_net *net, const int *blocks, int bottle, cs_error *err) {
    int t = conv_bn(net, "", "conv1", "bn1", 0, channels(net->width, 64), 3, 1, 1, err);
    for (int s = 0; s < 4 && t >= 0; s++)
        for (int b = 0; b < blocks[s] && t >= 0; b++) {
            char prefix[CS_NAME_MAX];
            snprintf(prefix, sizeof prefix, "layer%d.%d.", s + 1, b);
            int planes = channels(net->width, 64 << s), stride = s > 0 && b == 0 ? 2 : 1;
            t = bottle ? bottleneck(net, prefix, t, planes, stride, err)
                       : basic_block(net, prefix, t, planes, stride, 0, err);
        }
    return t;
}

static int tiny_net(nn_net *net, cs_error *err) {
    int c = channels(net->width, 4);
    int t = net_conv(net, "conv1", 0, c, 3, 1, 1, err);
    if (t >= 0) t = net_relu(net, t, err);
    if (t >= 0) t = net_conv(net, "conv2", t, c, 3, 2, 1, err);
    if (t >= 0) t = net_relu(net, t, err);
    return t;
}

int nn_build(nn_net *net, int arch, double width, int in_c, int in_h, int in_w, int classes,
             cs_error *err) {
    static const int b18[4] = {2, 2, 2, 2}, b34[4] = {3, 4, 6, 3};
    if (arch < 0 || arch > NN_TINY)
        return cs_fail(err, CS_ERR_INPUT, "unknown architecture %d", arch);
    if (!(width > 0) || in_c < 1 || in_h < 4 || in_w < 4 || classes < 2)
        return cs_fail(err, CS_ERR_INPUT, "%s: bad shape (width %g, input %dx%dx%d, %d classes)",
                       NN_ARCH_NAMES[arch], width, in_c, in_h, in_w, classes);
    int rc = net_begin(net, arch, width, in_c, in_h, in_w, classes, err);
    if (rc) return rc;
    int t;
    switch (arch) {
    case NN_RESNET20:
        t = cifar_resnet(net, 20, err);
        break;
    case NN_RESNET32:
        t = cifar_resnet(net, 32, err);
        break;
    case NN_RESNET56:
        t = cifar_resnet(net, 56, err);
        break;
    case NN_RESNET18:
        t = imagenet_style_resnet(net, b18, 0, err);
        break;
    case NN_RESNET34:
        t = imagenet_style_resnet(net, b34, 0, err);
        break;
    case NN_RESNET50:
        t = imagenet_style_resnet(net, b34, 1, err);
        break;
    default:
        t = tiny_net(net, err);
        break;
    }
    if (t >= 0) t = net_gap(net, t, err);
    if (t >= 0) t = net_linear(net, "fc", t, classes, err);
    if (t < 0) {
        nn_free(net);
        return CS_ERR_RUNTIME;
    }
    rc = net_finish(net, err);
    if (rc) nn_free(net);
    return rc;
}
