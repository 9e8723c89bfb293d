// The ResNet's ops besides convolution (which is cuDNN's): batch norm, residual add, global
// average pooling, softmax cross-entropy. Written once for CUDA and OpenCL in
// ember_resnet_ops.h, so the OpenCL suite on PoCL runs the same code. Launchers: ember.backend.cuda.ResNetOps.
#include "common.cuh"
#include "ember_elementwise.h"
#include "ember_resnet_ops.h"
