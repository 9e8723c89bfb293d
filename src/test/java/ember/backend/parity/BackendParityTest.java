package ember.backend.parity;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ember.backend.Backend;
import ember.backend.Precision;
import ember.backend.cpu.CpuBackend;
import ember.backend.cuda.CudaBackend;
import ember.backend.cuda.CudaProbe;
import ember.backend.opencl.OpenClBackend;
import ember.backend.opencl.OpenClDevices;
import ember.backend.reference.ReferenceBackend;
import ember.nn.ResNet;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * One suite over every backend present: each parity case against the double-precision
 * reference, then a few ResNet training steps against the reference's. A primitive a present
 * backend lacks fails its cases (it never counts as skipped); only an absent backend is
 * skipped, once, with the reason. The CPU backend runs three ways: GEMM through the system's
 * CBLAS, through the Java loops used when none is installed, and the convolutions on 12
 * workers (weight gradients summed in one chunk per worker instead of 8).
 */
class BackendParityTest {
    /** A backend to check: how to open it (null when absent, with the reason) and which cases it runs. */
    private record Candidate(String name, Supplier<Backend> open, String absentBecause, Predicate<String> cases,
                             Precision precision) {
        Candidate(String name, Supplier<Backend> open, String absentBecause, Predicate<String> cases) {
            this(name, open, absentBecause, cases, Precision.FP32);
        }
    }

    private static List<Candidate> candidates() {
        List<Candidate> all = new ArrayList<>();
        try (CpuBackend probe = CpuBackend.withBlasIfPresent(2)) {
            all.add(new Candidate("cpu, GEMM through CBLAS", () -> CpuBackend.withBlasIfPresent(2),
                    probe.usesBlas() ? null : "no CBLAS library installed: " + probe.description(), op -> true));
        }
        all.add(new Candidate("cpu, GEMM in Java", () -> CpuBackend.javaOnly(2), null, op -> true));
        all.add(new Candidate("cpu, convolutions on 12 workers", () -> CpuBackend.javaOnly(12), null,
                op -> op.startsWith("conv2d") || op.equals("normReluConv")));
        CudaProbe.Report cuda = CudaProbe.check();
        String noGpu = cuda.usable() ? null : "no usable GPU: " + cuda.reason();
        all.add(new Candidate("cuda", () -> CudaBackend.open(Precision.FP32), noGpu, op -> true));
        all.add(new Candidate("cuda, convolutions in tf32", () -> CudaBackend.open(Precision.TF32), noGpu,
                op -> op.startsWith("conv2d") || op.equals("normReluConv"), Precision.TF32));
        OpenClDevices.Listing opencl = OpenClDevices.list();
        for (OpenClDevices.Device device : opencl.devices()) {
            String name = "opencl:" + device.index();
            all.add(new Candidate(name + " " + device.name(), () -> OpenClBackend.open(name), null, op -> true));
            // The batch-norm reductions the device did not choose, so CI's CPU device covers a GPU's too.
            OpenClBackend.Reductions other = device.gpu() ? OpenClBackend.Reductions.PLANES
                    : OpenClBackend.Reductions.GROUPS;
            all.add(new Candidate(name + " " + device.name() + ", batch-norm sums by " + other,
                    () -> OpenClBackend.open(name, other), null, op -> op.startsWith("batchNorm")
                    || op.equals("normReluConv") || op.equals("network")));
        }
        if (!opencl.any()) {
            all.add(new Candidate("opencl", null, "no OpenCL device: " + opencl.reason(), op -> true));
        }
        return all;
    }

    @TestFactory
    Stream<DynamicNode> everyBackendPresentMatchesTheReference() {
        long seed = ParitySeed.fresh();
        List<ParityCase> cases = ParityCases.all(seed);
        return candidates().stream().map(candidate -> {
            if (candidate.absentBecause() != null) {
                return DynamicTest.dynamicTest(candidate.name() + ": absent",
                        () -> Assumptions.abort(candidate.absentBecause()));
            }
            Backend[] opened = new Backend[1];
            List<DynamicNode> tests = new ArrayList<>();
            tests.add(DynamicTest.dynamicTest("open", () -> opened[0] = candidate.open().get()));
            for (ParityCase c : cases) {
                if (candidate.cases().test(c.op())) {
                    ParityCase under = c.under(candidate.precision());
                    tests.add(DynamicTest.dynamicTest(c.name(), () -> check(opened[0], under, seed)));
                }
            }
            if (candidate.cases().test("network")) {
                tests.add(DynamicTest.dynamicTest("network: 3 ResNet training steps, losses and weights",
                        () -> trainsAsTheReferenceDoes(opened[0])));
            }
            tests.add(DynamicTest.dynamicTest("close", () -> opened[0].close()));
            return DynamicContainer.dynamicContainer(candidate.name(), tests);
        });
    }

    private static void check(Backend backend, ParityCase c, long seed) {
        Comparison result;
        try (ReferenceBackend reference = new ReferenceBackend()) {
            result = c.check(backend, reference);
        } catch (UnsupportedOperationException lacking) {
            fail(backend.name() + " lacks a primitive this case needs: " + lacking.getMessage());
            return;
        }
        assertTrue(result.ok(), () -> c.name() + " (seed " + seed + "): " + result.summary());
    }

    /** Three training steps of a small ResNet ({@link TrainingParity}). */
    private static void trainsAsTheReferenceDoes(Backend backend) {
        Comparison result = TrainingParity.threeSteps(backend);
        assertTrue(result.ok(), () -> "mean training loss, then the weights after 3 steps: " + result.summary());
    }
}
