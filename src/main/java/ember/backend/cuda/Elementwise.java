package ember.backend.cuda;

import ember.backend.Buffer;
import ember.backend.Checks;
import jcuda.driver.CUfunction;

/** Launchers for kernels/elementwise.cu; the names are its extern "C" kernels. */
final class Elementwise {
    static final String FILL = "ember_fill";
    static final String ADD_BIAS = "ember_add_bias";
    static final String SUM_ROWS = "ember_sum_rows";
    static final String RELU = "ember_relu";
    static final String RELU_BACKWARD = "ember_relu_backward";
    static final String TANH = "ember_tanh";
    static final String TANH_BACKWARD = "ember_tanh_backward";
    static final String GATHER_ROWS = "ember_gather_rows";
    static final java.util.List<String> KERNELS =
            java.util.List.of(FILL, ADD_BIAS, SUM_ROWS, RELU, RELU_BACKWARD, TANH, TANH_BACKWARD, GATHER_ROWS);

    /** Must match SUM_ROWS_Y in elementwise.cu: the block is 32 columns × this many row lanes. */
    private static final int SUM_ROWS_Y = 8;

    private final Launcher launcher;
    private final CUfunction fill, addBias, sumRows, relu, reluBackward, tanh, tanhBackward, gatherRows;

    Elementwise(Launcher launcher) {
        this.launcher = launcher;
        fill = launcher.function(FILL);
        addBias = launcher.function(ADD_BIAS);
        sumRows = launcher.function(SUM_ROWS);
        relu = launcher.function(RELU);
        reluBackward = launcher.function(RELU_BACKWARD);
        tanh = launcher.function(TANH);
        tanhBackward = launcher.function(TANH_BACKWARD);
        gatherRows = launcher.function(GATHER_ROWS);
    }

    void fill(Buffer x, float value) {
        launcher.launch1d(fill, x.length(), CudaBuffer.of(x), x.length(), value);
    }

    void addBias(Buffer y, Buffer bias, int rows, int cols) {
        Checks.atLeast("addBias", "y", y, (long) rows * cols);
        Checks.atLeast("addBias", "bias", bias, cols);
        int n = Math.multiplyExact(rows, cols);
        launcher.launch1d(addBias, n, CudaBuffer.of(y), CudaBuffer.of(bias), n, cols);
    }

    void sumRows(Buffer dy, Buffer biasGrad, int rows, int cols) {
        Checks.atLeast("sumRows", "dy", dy, (long) rows * cols);
        Checks.atLeast("sumRows", "biasGrad", biasGrad, cols);
        if (cols > 0) {
            launcher.launch(sumRows, (cols + 31) / 32, 1, 32, SUM_ROWS_Y,
                    CudaBuffer.of(dy), CudaBuffer.of(biasGrad), rows, cols);
        }
    }

    void relu(Buffer x, Buffer y) {
        Checks.sameLength("relu", x, y);
        launcher.launch1d(relu, x.length(), CudaBuffer.of(x), CudaBuffer.of(y), x.length());
    }

    void reluBackward(Buffer x, Buffer dy, Buffer dx) {
        Checks.sameLength("reluBackward", x, dy);
        Checks.sameLength("reluBackward", x, dx);
        launcher.launch1d(reluBackward, x.length(), CudaBuffer.of(x), CudaBuffer.of(dy), CudaBuffer.of(dx), x.length());
    }

    void tanh(Buffer x, Buffer y) {
        Checks.sameLength("tanh", x, y);
        launcher.launch1d(tanh, x.length(), CudaBuffer.of(x), CudaBuffer.of(y), x.length());
    }

    void tanhBackward(Buffer y, Buffer dy, Buffer dx) {
        Checks.sameLength("tanhBackward", y, dy);
        Checks.sameLength("tanhBackward", y, dx);
        launcher.launch1d(tanhBackward, y.length(), CudaBuffer.of(y), CudaBuffer.of(dy), CudaBuffer.of(dx), y.length());
    }

    /** Bad indices are found on the device and recorded in {@code fault}; see {@link DeviceFault}. */
    void gatherRows(Buffer table, Buffer indices, Buffer out, int width, DeviceFault fault) {
        if (width <= 0) {
            throw new IllegalArgumentException("gatherRows: width " + width + " must be positive");
        }
        Checks.atLeast("gatherRows", "out", out, (long) indices.length() * width);
        int n = Math.multiplyExact(indices.length(), width);
        launcher.launch1d(gatherRows, n, CudaBuffer.of(table), table.length() / width, CudaBuffer.of(indices),
                indices.length(), CudaBuffer.of(out), width, fault.address());
    }
}
