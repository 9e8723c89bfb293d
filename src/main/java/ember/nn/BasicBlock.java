package ember.nn;

import ember.backend.Backend;
import ember.backend.Buffer;
import ember.backend.ConvShape;
import ember.backend.NormReluConv;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * ResNet's basic block: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), where the
 * shortcut is x itself, or conv1x1(stride) + bn when the shape changes. conv2(relu(bn1(·))) is
 * one planned op of the backend ({@link NormReluConv}), which may never write its hidden
 * activation. The block owns its activations and their gradients, sized for the largest batch.
 */
public final class BasicBlock implements Layer {
    private final Backend backend;
    private final Conv2d conv1, conv2, shortcutConv;
    private final BatchNorm2d bn1, bn2, shortcutBn;
    private final NormReluConv bn1ReluConv2;
    private final Activations owned;
    // Forward activations, kept for the backward pass.
    private final Buffer conv1Out, conv2Out, shortcutConvOut, shortcutOut, output;
    // What the convolutions leave for the batch norms that read their outputs.
    private final Buffer conv1Stats, conv2Stats, shortcutConvStats;
    // Gradients with respect to the activations above, and to the block's input.
    private final Buffer dConv2Out, dConv1Out, dShortcutConvOut, dShortcutInput, dInput;
    private final int inSize, outSize, statsSize;

    public BasicBlock(Backend backend, String prefix, int in, int out, int stride, int size, int maxBatch,
                      Parameters params, NamedTensors state) {
        this.backend = backend;
        ConvShape c1 = new ConvShape(maxBatch, in, size, size, out, 3, stride, 1);
        int outPixels = c1.outHeight() * c1.outWidth();
        ConvShape c2 = new ConvShape(maxBatch, out, c1.outHeight(), c1.outWidth(), out, 3, 1, 1);
        conv1 = new Conv2d(backend, c1, params.get(prefix + ".conv1.weight"));
        bn1 = new BatchNorm2d(backend, out, outPixels, params, state, prefix + ".bn1");
        conv2 = new Conv2d(backend, c2, params.get(prefix + ".conv2.weight"));
        bn2 = new BatchNorm2d(backend, out, outPixels, params, state, prefix + ".bn2");
        bn1ReluConv2 = backend.normReluConv(c2);
        boolean projection = needsProjection(in, out, stride);
        shortcutConv = projection ? new Conv2d(backend, new ConvShape(maxBatch, in, size, size, out, 1, stride, 0),
                params.get(prefix + ".shortcut.0.weight")) : null;
        shortcutBn = projection ? new BatchNorm2d(backend, out, outPixels, params, state, prefix + ".shortcut.1") : null;

        owned = new Activations(backend, maxBatch);
        inSize = in * size * size;
        outSize = out * outPixels;
        conv1Out = owned.allocate(outSize);
        conv2Out = owned.allocate(outSize);
        shortcutConvOut = projection ? owned.allocate(outSize) : null;
        shortcutOut = projection ? owned.allocate(outSize) : null;
        output = owned.allocate(outSize);
        statsSize = 2 * out;
        conv1Stats = owned.allocate(statsSize);
        conv2Stats = owned.allocate(statsSize);
        shortcutConvStats = projection ? owned.allocate(statsSize) : null;
        dConv2Out = owned.allocate(outSize);
        dConv1Out = owned.allocate(outSize);
        dShortcutConvOut = projection ? owned.allocate(outSize) : null;
        dShortcutInput = projection ? owned.allocate(inSize) : null;
        dInput = owned.allocate(inSize);
    }

    static boolean needsProjection(int in, int out, int stride) {
        return stride != 1 || in != out;
    }

    /** The block's parameters, named as in the reference (conv1, bn1, conv2, bn2, shortcut.0, shortcut.1). */
    public static List<ParamSpec> paramSpecs(String prefix, int in, int out, int stride) {
        List<ParamSpec> specs = new ArrayList<>();
        specs.add(new ParamSpec(prefix + ".conv1.weight", out, in, 3, 3));
        specs.addAll(BatchNorm2d.paramSpecs(prefix + ".bn1", out));
        specs.add(new ParamSpec(prefix + ".conv2.weight", out, out, 3, 3));
        specs.addAll(BatchNorm2d.paramSpecs(prefix + ".bn2", out));
        if (needsProjection(in, out, stride)) {
            specs.add(new ParamSpec(prefix + ".shortcut.0.weight", out, in, 1, 1));
            specs.addAll(BatchNorm2d.paramSpecs(prefix + ".shortcut.1", out));
        }
        return specs;
    }

    public static List<ParamSpec> stateSpecs(String prefix, int in, int out, int stride) {
        List<ParamSpec> specs = new ArrayList<>(BatchNorm2d.stateSpecs(prefix + ".bn1", out));
        specs.addAll(BatchNorm2d.stateSpecs(prefix + ".bn2", out));
        if (needsProjection(in, out, stride)) {
            specs.addAll(BatchNorm2d.stateSpecs(prefix + ".shortcut.1", out));
        }
        return specs;
    }

    public void initialize(SplittableRandom random) {
        conv1.initialize(random);
        conv2.initialize(random);
        bn1.initialize();
        bn2.initialize();
        if (shortcutConv != null) {
            shortcutConv.initialize(random);
            shortcutBn.initialize();
        }
    }

    private Buffer rows(Buffer b, int perImage, int batch) {
        return owned.rows(b, perImage, batch);
    }

    /** Runs the block on x; returns a view of its output (valid until the next forward). */
    @Override
    public Buffer forward(Buffer x, int batch, boolean training) {
        Buffer c1 = rows(conv1Out, outSize, batch), c2 = rows(conv2Out, outSize, batch);
        Buffer out = rows(output, outSize, batch);
        // Only training's batch statistics need the convolutions' stats.
        Buffer s1 = training ? rows(conv1Stats, statsSize, batch) : null;
        Buffer s2 = training ? rows(conv2Stats, statsSize, batch) : null;
        conv1.forward(x, c1, s1, batch);
        if (training) {
            bn1ReluConv2.forwardTraining(batch, c1, s1, bn1.tensors(), conv2.weight().value(), c2, s2);
        } else {
            bn1ReluConv2.forwardInference(batch, c1, bn1.tensors(), conv2.weight().value(), c2);
        }
        Buffer shortcut = x;
        if (shortcutConv != null) {
            Buffer sc = rows(shortcutConvOut, outSize, batch);
            Buffer ss = training ? rows(shortcutConvStats, statsSize, batch) : null;
            shortcut = rows(shortcutOut, outSize, batch);
            shortcutConv.forward(x, sc, ss, batch);
            shortcutBn.forward(sc, ss, shortcut, batch, training);
        }
        bn2.forwardRelu(c2, s2, shortcut, out, batch, training);
        return out;
    }

    @Override
    public Buffer backward(Buffer x, Buffer dOut, int batch) {
        return backward(x, dOut, batch, false, false);
    }

    /**
     * Back-propagates dOut through the last training forward on x; returns a view of the
     * gradient for x. dOut is the gradient of the block's output, or with outputReluDone already
     * that of the sum before its final ReLU; else it is overwritten with that. With
     * throughInputRelu, x is a ReLU's output and the gradient returned is taken back through
     * that ReLU too, as conv1 writes it (the block before then skips its own final ReLU's pass).
     */
    public Buffer backward(Buffer x, Buffer dOut, int batch, boolean outputReluDone, boolean throughInputRelu) {
        if (!outputReluDone) {
            backend.reluBackward(rows(output, outSize, batch), dOut, dOut);
        }
        Buffer dc2 = rows(dConv2Out, outSize, batch), dc1 = rows(dConv1Out, outSize, batch);
        Buffer dx = rows(dInput, inSize, batch);
        bn2.backward(rows(conv2Out, outSize, batch), dOut, dc2, batch);
        bn1ReluConv2.backward(batch, rows(conv1Out, outSize, batch), dc2, bn1.tensors(), conv2.weight().value(), dc1,
                conv2.weight().grad());
        // dx = the main path's input gradient + the shortcut's, added as conv1 writes dx.
        Buffer dShortcut = dOut;
        if (shortcutConv != null) {
            Buffer dsc = rows(dShortcutConvOut, outSize, batch);
            dShortcut = rows(dShortcutInput, inSize, batch);
            shortcutBn.backward(rows(shortcutConvOut, outSize, batch), dOut, dsc, batch);
            shortcutConv.backward(x, dsc, dShortcut, batch);
        }
        conv1.backward(x, dc1, dShortcut, throughInputRelu, dx, batch);
        return dx;
    }

    public int outputPerImage() {
        return outSize;
    }

    @Override
    public void close() {
        owned.close();
        bn1ReluConv2.close();
        bn1.close();
        bn2.close();
        if (shortcutBn != null) {
            shortcutBn.close();
        }
    }
}
