package ember.backend;

import ember.backend.reference.ReferenceBackend;
import ember.testing.Near;
import java.util.SplittableRandom;

/** Runs one {@link OpSpec} on a backend and on the reference, from identical inputs, and compares. */
public final class BackendParity {
    private BackendParity() {}

    public static void check(Backend backend, OpSpec spec, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[][] inputs = spec.inputs().apply(random);
        float[][] startOutputs = OpSpec.uniform(random, spec.outputSizes());
        double[][] expected = run(new ReferenceBackend(), spec, inputs, startOutputs);
        double[][] actual = run(backend, spec, inputs, startOutputs);
        for (int i = 0; i < expected.length; i++) {
            Near.assertClose(backend.name() + " " + spec.name() + " output " + i, actual[i], expected[i], spec.tolerance());
        }
    }

    private static double[][] run(Backend backend, OpSpec spec, float[][] inputs, float[][] startOutputs) {
        Buffer[] in = new Buffer[inputs.length];
        Buffer[] out = new Buffer[startOutputs.length];
        try {
            for (int i = 0; i < in.length; i++) {
                in[i] = backend.allocate(inputs[i].length);
                backend.write(in[i], inputs[i]);
            }
            for (int i = 0; i < out.length; i++) {
                out[i] = backend.allocate(startOutputs[i].length);
                backend.write(out[i], startOutputs[i]);
            }
            spec.op().run(backend, in, out);
            double[][] result = new double[out.length][];
            for (int i = 0; i < out.length; i++) {
                float[] host = new float[out[i].length()];
                backend.read(out[i], host);
                result[i] = new double[host.length];
                for (int j = 0; j < host.length; j++) {
                    result[i][j] = host[j];
                }
            }
            return result;
        } finally {
            for (Buffer b : in) {
                if (b != null) {
                    b.close();
                }
            }
            for (Buffer b : out) {
                if (b != null) {
                    b.close();
                }
            }
        }
    }
}
