// Shared by every kernel file. The fault word lets a kernel report a bad argument that only the
// device can see (a gather index read from device memory); the host checks it at each read.
#pragma once
#include "ember_dialect.h"

// fault[0]: code (0 = none), fault[1], fault[2]: details; the codes (EMBER_FAULT_*) are in
// ember_dialect.h and mirror ember.backend.cuda.DeviceFault.

// Keeps the first fault only, so the report names the first bad value the device saw.
__device__ inline void ember_record_fault(int* fault, int code, int a, int b) {
    if (atomicCAS(&fault[0], 0, -1) == 0) {
        fault[1] = a;
        fault[2] = b;
        __threadfence();
        atomicExch(&fault[0], code);
    }
}
