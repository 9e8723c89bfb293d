package ember.nn;

import ember.backend.Backend;
import ember.backend.Buffer;
import ember.backend.ConvShape;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * ResNet's basic block: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), where the
 * shortcut is x itself, or conv1x1(stride) + bn when the shape changes. It owns its
 * activations and their gradients, sized for the largest batch. The hidden activation
 * relu(bn1(·)) is never written: conv2 applies bn1 and the ReLU as it reads conv1's output
 * (forward and weight gradient), which saves writing it and reading it back.
 */
public final class BasicBlock implements AutoCloseable {
    private final Backend backend;
    private final Conv2d conv1, conv2, shortcutConv;
    private final BatchNorm2d bn1, bn2, shortcutBn;
    private final List<Buffer> owned = new ArrayList<>();
    // Forward activations, kept for the backward pass.
    private final Buffer conv1Out, conv2Out, shortcutConvOut, shortcutOut, output;
    // The convolutions' plane sums, which their batch norms' statistics start from.
    private final Buffer conv1Sums, conv2Sums, shortcutConvSums;
    // Gradients with respect to the activations above, and to the block's input.
    private final Buffer dConv2Out, dHidden, dConv1Out, dShortcutConvOut, dShortcutInput, dInput;
    private final int inSize, outSize, sumsSize;

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
        boolean projection = needsProjection(in, out, stride);
        shortcutConv = projection ? new Conv2d(backend, new ConvShape(maxBatch, in, size, size, out, 1, stride, 0),
                params.get(prefix + ".shortcut.0.weight")) : null;
        shortcutBn = projection ? new BatchNorm2d(backend, out, outPixels, params, state, prefix + ".shortcut.1") : null;

        inSize = in * size * size;
        outSize = out * outPixels;
        conv1Out = activation(outSize, maxBatch);
        conv2Out = activation(outSize, maxBatch);
        shortcutConvOut = projection ? activation(outSize, maxBatch) : null;
        shortcutOut = projection ? activation(outSize, maxBatch) : null;
        output = activation(outSize, maxBatch);
        sumsSize = 2 * out;
        conv1Sums = activation(sumsSize, maxBatch);
        conv2Sums = activation(sumsSize, maxBatch);
        shortcutConvSums = projection ? activation(sumsSize, maxBatch) : null;
        dConv2Out = activation(outSize, maxBatch);
        dHidden = activation(outSize, maxBatch);
        dConv1Out = activation(outSize, maxBatch);
        dShortcutConvOut = projection ? activation(outSize, maxBatch) : null;
        dShortcutInput = projection ? activation(inSize, maxBatch) : null;
        dInput = activation(inSize, maxBatch);
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

    private Buffer activation(int perImage, int maxBatch) {
        Buffer b = backend.allocate(perImage * maxBatch);
        owned.add(b);
        return b;
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

    private static Buffer rows(Buffer b, int perImage, int batch) {
        return b.slice(0, perImage * batch);
    }

    /** Runs the block on x; returns a view of its output (valid until the next forward). */
    public Buffer forward(Buffer x, int batch, boolean training) {
        Buffer c1 = rows(conv1Out, outSize, batch), c2 = rows(conv2Out, outSize, batch);
        Buffer out = rows(output, outSize, batch);
        // Only training's batch statistics need the plane sums.
        Buffer s1 = training ? rows(conv1Sums, sumsSize, batch) : null;
        Buffer s2 = training ? rows(conv2Sums, sumsSize, batch) : null;
        conv1.forward(x, c1, s1, batch);
        bn1.normalizeLater(c1, s1, batch, training);
        conv2.forward(c1, bn1, c2, s2, batch);
        Buffer shortcut = x;
        if (shortcutConv != null) {
            Buffer sc = rows(shortcutConvOut, outSize, batch);
            Buffer ss = training ? rows(shortcutConvSums, sumsSize, batch) : null;
            shortcut = rows(shortcutOut, outSize, batch);
            shortcutConv.forward(x, sc, ss, batch);
            shortcutBn.forward(sc, ss, shortcut, batch, training);
        }
        bn2.forwardRelu(c2, s2, shortcut, out, batch, training);
        return out;
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
        Buffer dc2 = rows(dConv2Out, outSize, batch), dh = rows(dHidden, outSize, batch);
        Buffer dc1 = rows(dConv1Out, outSize, batch), dx = rows(dInput, inSize, batch);
        bn2.backward(rows(conv2Out, outSize, batch), dOut, dc2, batch);
        Buffer c1 = rows(conv1Out, outSize, batch);
        conv2.backward(c1, bn1, dc2, dh, batch);
        bn1.backwardRelu(c1, dh, dc1, batch);
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
        owned.forEach(Buffer::close);
        bn1.close();
        bn2.close();
        if (shortcutBn != null) {
            shortcutBn.close();
        }
    }
}
