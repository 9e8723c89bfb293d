// The few words in which CUDA C++ and OpenCL C 1.2 differ, so that a kernel written once (the
// kernels/ember_*_ops.h files) compiles as both: the CUDA build includes it from a .cu file, the
// OpenCL backend puts it in front of its program. The OpenCL tests on PoCL then run the very code
// the GPU runs. Buffers travel as the backends pass them: a pointer on CUDA, a (buffer, offset in
// floats) pair on OpenCL, which EMBER_VIEW turns into a pointer at the kernel's top.
#ifndef EMBER_DIALECT_H
#define EMBER_DIALECT_H

// Threads per block (work-items per group) of every kernel that reduces across a block.
#define EMBER_BLOCK 256

#ifdef __OPENCL_VERSION__
#define EMBER_KERNEL __kernel void
#define EMBER_DEVICE
#define EMBER_SHARED __local
#define EMBER_SHARED_PTR __local float*
#define EMBER_GLOBAL_PTR __global float*
#define EMBER_BARRIER() barrier(CLK_LOCAL_MEM_FENCE)
#define EMBER_GROUP_ID ((int) get_group_id(0))
#define EMBER_LOCAL_ID ((int) get_local_id(0))
#define EMBER_GLOBAL_ID ((int) get_global_id(0))
#define EMBER_GLOBAL_SIZE ((int) get_global_size(0))
#define EMBER_IN(name) __global const float* name##_base, int name##_offset
#define EMBER_OUT(name) __global float* name##_base, int name##_offset
#define EMBER_VIEW_IN(name) __global const float* name = name##_base + name##_offset
#define EMBER_VIEW_OUT(name) __global float* name = name##_base + name##_offset
#define EMBER_FAULT_WORDS __global int* fault
#define EMBER_FLOAT_BITS(x) as_int(x)
#define EMBER_EXP(x) exp(x)
#define EMBER_LOG(x) log(x)
#define EMBER_SQRT(x) sqrt(x)
// Every i in 0..n-1 once across the launch: one work-item per value (the launcher rounds the
// global size up to n) and no loop, so a CPU driver such as PoCL runs neighbouring work-items as
// one vector. Declares i in the kernel's scope: once per kernel.
#define EMBER_FOR_EACH(i, n) int i = EMBER_GLOBAL_ID; if (i < (n))
// Every value i of planes planes of pixels values once, with its plane: dimension 0 of the
// launch the pixel (rounded up), 1 the plane, so nothing is divided per value. Once per kernel.
#define EMBER_FOR_EACH_IN_PLANES(i, plane, planes, pixels) \
    int plane = (int) get_global_id(1), i = plane * (pixels) + (int) get_global_id(0); \
    if ((int) get_global_id(0) < (pixels))
// Keeps the first fault only (as kernels/common.cuh does on CUDA).
inline void ember_record_fault(__global int* fault, int code, int a, int b) {
    if (atomic_cmpxchg(&fault[0], 0, -1) == 0) {
        fault[1] = a;
        fault[2] = b;
        mem_fence(CLK_GLOBAL_MEM_FENCE);
        atomic_xchg(&fault[0], code);
    }
}
#else
#define EMBER_KERNEL extern "C" __global__ void
#define EMBER_DEVICE __device__ inline
#define EMBER_SHARED __shared__
#define EMBER_SHARED_PTR float*
#define EMBER_GLOBAL_PTR float*
#define EMBER_BARRIER() __syncthreads()
#define EMBER_GROUP_ID ((int) blockIdx.x)
#define EMBER_LOCAL_ID ((int) threadIdx.x)
#define EMBER_GLOBAL_ID ((int) (blockIdx.x * blockDim.x + threadIdx.x))
#define EMBER_GLOBAL_SIZE ((int) (gridDim.x * blockDim.x))
#define EMBER_IN(name) const float* name
#define EMBER_OUT(name) float* name
#define EMBER_VIEW_IN(name) (void) 0
#define EMBER_VIEW_OUT(name) (void) 0
#define EMBER_FAULT_WORDS int* fault
#define EMBER_FLOAT_BITS(x) __float_as_int(x)
#define EMBER_EXP(x) expf(x)
#define EMBER_LOG(x) logf(x)
#define EMBER_SQRT(x) sqrtf(x)
// The same two loops as a grid-stride loop over a grid the launcher sized.
#define EMBER_FOR_EACH(i, n) for (int i = EMBER_GLOBAL_ID; i < (n); i += EMBER_GLOBAL_SIZE)
#define EMBER_FOR_EACH_IN_PLANES(i, plane, planes, pixels) \
    for (int i = EMBER_GLOBAL_ID, plane = i / (pixels); i < (planes) * (pixels); \
             i += EMBER_GLOBAL_SIZE, plane = i / (pixels))
#endif

// Fault codes, as in ember.backend.cuda.DeviceFault and the OpenCL backend.
#define EMBER_FAULT_GATHER_INDEX 1
#define EMBER_FAULT_LABEL 2

#endif
