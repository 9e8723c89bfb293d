package ember.bench;

import ember.backend.Backend;
import ember.backend.Backends;
import ember.backend.Buffer;
import ember.backend.ChannelShape;
import ember.backend.ConvShape;
import ember.backend.NormReluConv;
import ember.backend.Job;
import ember.backend.cpu.CpuBackend;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;

/**
 * Where a ResNet20 training step's time goes, op by op: the step of
 * {@link ResNetStepBenchmark} ({@link ResNetStep}), with the backend behind a proxy that times every call by
 * op name and shape. The CPU backend returns when an op is done; on any other (--device names it
 * as for the CLI) the proxy reads one value back after each call, so that each call's wall time
 * is that op's, queue included. Not a JMH benchmark: a map for choosing what to speed up, whose
 * numbers are ranked by the step benchmark's pairs.
 *
 * <pre>java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *     -cp bench/target/benchmarks.jar ember.bench.OpProfile [steps [batch [threads [device]]]]</pre>
 */
public final class OpProfile {
    private OpProfile() {}

    /** Total nanoseconds and calls of one op at one shape. */
    private static final class Total {
        long nanos;
        long calls;
    }

    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : ResNetStepBenchmark.BATCH;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
        String device = args.length > 3 ? args[3] : "cpu";
        Map<String, Total> totals = new HashMap<>();
        boolean[] recording = {false};
        try (Backend backend = device.equals("cpu") ? CpuBackend.withBlasIfPresent(threads)
                : Backends.open(device, Job.EXP2).backend()) {
            Buffer probe = backend.allocate(1);
            float[] landed = new float[1];
            boolean asynchronous = !(backend instanceof CpuBackend);
            Runnable sync = () -> backend.read(probe, landed); // waits for the queue: the op is done
            Backend timed = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(),
                    new Class<?>[] {Backend.class}, (proxy, method, arguments) -> {
                        long start = System.nanoTime();
                        Object result;
                        try {
                            result = method.invoke(backend, arguments);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                        if (asynchronous && !method.getName().equals("close")) {
                            sync.run();
                        }
                        if (recording[0]) {
                            Total total = totals.computeIfAbsent(key(method.getName(), arguments), k -> new Total());
                            total.nanos += System.nanoTime() - start;
                            total.calls++;
                        }
                        // A planned fusion runs the backend's own code, out of this proxy's sight: time its calls too.
                        if (result instanceof NormReluConv fused) {
                            return timed(fused, "normReluConv." , (ConvShape) arguments[0], totals, recording,
                                    asynchronous ? sync : () -> { });
                        }
                        return result;
                    });
            System.out.println("backend: " + backend.description() + "; " + steps + " steps of " + batch
                    + " images after as many to warm up");
            try (ResNetStep step = new ResNetStep(timed, batch)) {
                for (int s = 0; s < steps; s++) {
                    step.run();
                }
                recording[0] = true;
                long start = System.nanoTime();
                for (int s = 0; s < steps; s++) {
                    step.run();
                }
                report(totals, (System.nanoTime() - start) / 1e6 / steps, steps);
            }
        }
    }

    /** fused, with each call (then sync) timed under "normReluConv.METHOD" and the convolution's shape. */
    private static NormReluConv timed(NormReluConv fused, String prefix, ConvShape shape, Map<String, Total> totals,
                                      boolean[] recording, Runnable sync) {
        return (NormReluConv) Proxy.newProxyInstance(NormReluConv.class.getClassLoader(),
                new Class<?>[] {NormReluConv.class}, (proxy, method, arguments) -> {
                    long start = System.nanoTime();
                    Object result;
                    try {
                        result = method.invoke(fused, arguments);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    sync.run();
                    if (recording[0] && !method.getName().equals("close")) {
                        Total total = totals.computeIfAbsent(key(prefix + method.getName(), new Object[] {shape}),
                                k -> new Total());
                        total.nanos += System.nanoTime() - start;
                        total.calls++;
                    }
                    return result;
                });
    }

    private static void report(Map<String, Total> totals, double stepMs, int steps) {
        System.out.printf("step: %.1f ms%n", stepMs);
        totals.entrySet().stream()
                .sorted(Comparator.comparingLong((Map.Entry<String, Total> e) -> e.getValue().nanos).reversed())
                .forEach(e -> System.out.printf("%8.2f ms %5.1f %%  %3d per step  %s%n",
                        e.getValue().nanos / 1e6 / steps, 100 * e.getValue().nanos / 1e6 / steps / stepMs,
                        e.getValue().calls / steps, e.getKey()));
    }

    /** The op's name and the shape it ran at, e.g. "conv2dBackward 16>16 @32x32 k3 s1". */
    private static String key(String op, Object[] arguments) {
        StringBuilder key = new StringBuilder(op);
        for (Object argument : arguments == null ? new Object[0] : arguments) {
            if (argument instanceof ConvShape s) {
                key.append(String.format(" %d>%d @%dx%d k%d s%d", s.inChannels(), s.outChannels(), s.height(),
                        s.width(), s.kernel(), s.stride()));
            } else if (argument instanceof ChannelShape s) {
                key.append(String.format(" %d ch x %d px", s.channels(), s.pixels()));
            }
        }
        return key.toString();
    }
}
