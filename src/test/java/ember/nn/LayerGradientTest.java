package ember.nn;

import static ember.testing.GradientChecker.values;

import ember.backend.Buffer;
import ember.backend.reference.ReferenceBackend;
import ember.backend.reference.ReferenceBackend.RefBuffer;
import ember.testing.GradientChecker;
import ember.backend.ChannelShape;
import ember.backend.ConvShape;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every layer's backward against central finite differences in float64: the layers run
 * unchanged on the double-precision reference backend. The objective is Σ w·layer(x) with
 * fixed random w, so dy = w exercises every output element with a different weight.
 */
class LayerGradientTest {
    private final ReferenceBackend backend = new ReferenceBackend();

    @ParameterizedTest(name = "batch {0}, {1} -> {2}")
    @CsvSource({"1, 1, 1", "3, 5, 7", "7, 13, 2", "4, 1, 11"})
    void linear(int batch, int in, int out) {
        SplittableRandom random = new SplittableRandom(batch * 31L + in * 7L + out);
        try (Parameters params = new Parameters(backend, Linear.specs("fc", in, out))) {
            try (Linear layer = new Linear(backend, params.get("fc.weight"), params.get("fc.bias"), batch, true)) {
                randomize(params.values(), random, 0);
                checkLayer(layer, in, out, params, batch, random, 0);
            }
        }
    }

    @ParameterizedTest(name = "width {0}, batch {1}")
    @CsvSource({"1, 1", "5, 3", "17, 2"})
    void relu(int width, int batch) {
        // Inputs stay at least 1e-2 from the kink at 0, far beyond the finite-difference step.
        try (Relu layer = new Relu(backend, width, batch)) {
            checkLayer(layer, width, width, null, batch, new SplittableRandom(width), 1e-2);
        }
    }

    @ParameterizedTest(name = "width {0}, batch {1}")
    @CsvSource({"1, 1", "5, 3", "17, 2"})
    void tanh(int width, int batch) {
        try (Tanh layer = new Tanh(backend, width, batch)) {
            checkLayer(layer, width, width, null, batch, new SplittableRandom(width + 100), 0);
        }
    }

    @ParameterizedTest(name = "n = {0}")
    @CsvSource({"1", "2", "13"})
    void mseLoss(int n) {
        SplittableRandom random = new SplittableRandom(n);
        MseLoss loss = new MseLoss(backend);
        try (Buffer pred = random(n, random, 0); Buffer target = random(n, random, 0);
             Buffer out = backend.allocate(1); Buffer grad = backend.allocate(n)) {
            loss.backward(pred, target, grad);
            GradientChecker.check("mse", ReferenceBackend.ref(pred), values(ReferenceBackend.ref(grad)), () -> {
                loss.forward(pred, target, out);
                return ReferenceBackend.ref(out).get(0);
            });
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"TANH", "RELU"})
    void wholeMlpUnderMseLoss(Activation activation) {
        SplittableRandom random = new SplittableRandom(7);
        int batch = 5;
        try (Mlp model = new Mlp(backend, new Mlp.Shape(new int[] {2, 6, 3, 1}, activation), batch);
             Buffer x = random(batch * 2, random, 0); Buffer target = random(batch, random, 0);
             Buffer out = backend.allocate(1)) {
            model.initialize(3);
            MseLoss loss = new MseLoss(backend);
            Buffer prediction = model.forward(x, batch);
            model.parameters().zeroGrads();
            loss.backward(prediction, target, model.outputGradient(batch));
            model.backward(model.outputGradient(batch), batch);
            GradientChecker.check("mlp parameters", ReferenceBackend.ref(model.parameters().values()),
                    values(ReferenceBackend.ref(model.parameters().grads())), () -> {
                        loss.forward(model.forward(x, batch), target, out);
                        return ReferenceBackend.ref(out).get(0);
                    });
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "2, 3, 5, 4, 3, 1, 1",   // 3x3 stride 1, odd image
        "2, 2, 6, 3, 3, 2, 1",   // 3x3 stride 2
        "3, 3, 5, 2, 1, 2, 0",   // 1x1 stride 2 (the projection shortcut)
    })
    void conv2d(int batch, int in, int size, int out, int kernel, int stride, int padding) {
        ConvShape shape = new ConvShape(batch, in, size, size, out, kernel, stride, padding);
        SplittableRandom random = new SplittableRandom(size * 100L + stride);
        try (Parameters params = new Parameters(backend, List.of(Conv2d.spec("w", shape)));
             Buffer x = random(shape.inputSize(), random, 0); Buffer w = random(shape.outputSize(), random, 0);
             Buffer y = backend.allocate(shape.outputSize()); Buffer dx = backend.allocate(shape.inputSize())) {
            Conv2d conv = new Conv2d(backend, shape, params.get("w"));
            randomize(params.values(), random, 0);
            params.zeroGrads();
            conv.backward(x, w, dx, batch);
            DoubleSupplier objective = () -> {
                conv.forward(x, y, batch);
                return dot(w, y);
            };
            GradientChecker.check("conv dx", ReferenceBackend.ref(x), values(ReferenceBackend.ref(dx)), objective);
            GradientChecker.check("conv dw", ReferenceBackend.ref(params.get("w").value()),
                    values(ReferenceBackend.ref(params.get("w").grad())), objective);
        }
    }

    @ParameterizedTest(name = "batch {0}, channels {1}, pixels {2}")
    @CsvSource({"2, 1, 3", "3, 4, 5", "4, 2, 1"})
    void batchNormInTraining(int batch, int channels, int pixels) {
        SplittableRandom random = new SplittableRandom(batch * 10L + channels);
        int n = batch * channels * pixels;
        try (Parameters params = new Parameters(backend, BatchNorm2d.paramSpecs("bn", channels));
             NamedTensors state = new NamedTensors(backend, BatchNorm2d.stateSpecs("bn", channels));
             BatchNorm2d bn = new BatchNorm2d(backend, channels, pixels, params, state, "bn");
             Buffer x = random(n, random, 0); Buffer w = random(n, random, 0);
             Buffer y = backend.allocate(n); Buffer dx = backend.allocate(n)) {
            bn.initialize();
            randomize(params.values(), random, 0.5);
            bn.forward(x, null, y, batch, true);
            params.zeroGrads();
            bn.backward(x, w, dx, batch);
            DoubleSupplier objective = () -> {
                bn.forward(x, null, y, batch, true);
                return dot(w, y);
            };
            GradientChecker.check("bn dx", ReferenceBackend.ref(x), values(ReferenceBackend.ref(dx)), objective);
            for (Parameters.Param p : params.all()) {
                GradientChecker.check(p.spec().name(), ReferenceBackend.ref(p.value()),
                        values(ReferenceBackend.ref(p.grad())), objective);
            }
        }
    }

    @Test
    void globalAvgPool() {
        ChannelShape shape = new ChannelShape(3, 2, 5);
        SplittableRandom random = new SplittableRandom(5);
        try (Buffer x = random(shape.size(), random, 0); Buffer w = random(6, random, 0);
             Buffer y = backend.allocate(6); Buffer dx = backend.allocate(shape.size())) {
            backend.globalAvgPoolBackward(shape, w, dx);
            GradientChecker.check("pool dx", ReferenceBackend.ref(x), values(ReferenceBackend.ref(dx)), () -> {
                backend.globalAvgPool(shape, x, y);
                return dot(w, y);
            });
        }
    }

    @ParameterizedTest(name = "batch {0}, classes {1}")
    @CsvSource({"1, 1", "1, 10", "5, 3"})
    void crossEntropy(int batch, int classes) {
        SplittableRandom random = new SplittableRandom(batch + classes);
        CrossEntropyLoss loss = new CrossEntropyLoss(backend, classes);
        try (Buffer logits = random(batch * classes, random, 0); Buffer labels = backend.allocate(batch);
             Buffer d = backend.allocate(batch * classes); Buffer scratch = backend.allocate(batch * classes);
             Buffer stats = backend.allocate(2)) {
            for (int i = 0; i < batch; i++) {
                ReferenceBackend.ref(labels).set(i, random.nextInt(classes));
            }
            loss.forwardBackward(logits, labels, d, stats, batch);
            GradientChecker.check("cross-entropy dlogits", ReferenceBackend.ref(logits), values(ReferenceBackend.ref(d)), () -> {
                backend.fill(stats, 0f); // the loss sum accumulates: the mean of this call alone
                loss.forwardBackward(logits, labels, scratch, stats, batch);
                return ReferenceBackend.ref(stats).get(0) / batch;
            });
        }
    }

    @Test
    void wholeTinyResNetUnderCrossEntropy() {
        // Two stages so the strided block and its projection shortcut are both on the path.
        ResNet.Config tiny = new ResNet.Config(new int[] {2, 3}, 1, 6, 2, 3);
        int batch = 3;
        SplittableRandom random = new SplittableRandom(11);
        try (ResNet model = new ResNet(backend, tiny, batch);
             Buffer x = random(batch * tiny.inputPerImage(), random, 0); Buffer labels = backend.allocate(batch);
             Buffer d = backend.allocate(batch * 3); Buffer scratch = backend.allocate(batch * 3);
             Buffer stats = backend.allocate(2)) {
            model.initialize(5);
            randomize(model.parameters().values(), random, 0); // BN gammas of 1 and betas of 0 would hide terms
            for (int i = 0; i < batch; i++) {
                ReferenceBackend.ref(labels).set(i, i % 3);
            }
            CrossEntropyLoss loss = new CrossEntropyLoss(backend, 3);
            model.parameters().zeroGrads();
            loss.forwardBackward(model.forward(x, batch, true), labels, d, stats, batch);
            model.backward(x, d, batch);
            GradientChecker.check("tiny resnet parameters", ReferenceBackend.ref(model.parameters().values()),
                    values(ReferenceBackend.ref(model.parameters().grads())), () -> {
                        backend.fill(stats, 0f);
                        loss.forwardBackward(model.forward(x, batch, true), labels, scratch, stats, batch);
                        return ReferenceBackend.ref(stats).get(0) / batch;
                    });
        }
    }

    @Test
    void resnet20HasTheReferenceParameterCount() {
        int count = ResNet.Config.resnet20().paramSpecs().stream().mapToInt(ParamSpec::size).sum();
        org.junit.jupiter.api.Assertions.assertEquals(272_474, count);
    }

    private static double dot(Buffer a, Buffer b) {
        double sum = 0;
        for (int i = 0; i < a.length(); i++) {
            sum += ReferenceBackend.ref(a).get(i) * ReferenceBackend.ref(b).get(i);
        }
        return sum;
    }

    /** Checks dx and (when params is given) the parameter gradients of Σ w·layer(x). */
    private void checkLayer(Layer layer, int inWidth, int outWidth, Parameters params, int batch,
                            SplittableRandom random, double awayFromZero) {
        try (Buffer x = random(batch * inWidth, random, awayFromZero); Buffer w = random(batch * outWidth, random, 0)) {
            layer.forward(x, batch, true);
            if (params != null) {
                params.zeroGrads();
            }
            Buffer dx = layer.backward(x, w, batch);
            var objective = (java.util.function.DoubleSupplier) () -> {
                Buffer y = layer.forward(x, batch, true);
                double sum = 0;
                for (int i = 0; i < y.length(); i++) {
                    sum += ReferenceBackend.ref(w).get(i) * ReferenceBackend.ref(y).get(i);
                }
                return sum;
            };
            GradientChecker.check(layer.getClass().getSimpleName() + " dx", ReferenceBackend.ref(x),
                    values(ReferenceBackend.ref(dx)), objective);
            if (params != null) {
                for (Parameters.Param p : params.all()) {
                    GradientChecker.check(p.spec().name(), ReferenceBackend.ref(p.value()),
                            values(ReferenceBackend.ref(p.grad())), objective);
                }
            }
        }
    }

    private RefBuffer random(int n, SplittableRandom random, double awayFromZero) {
        RefBuffer b = backend.allocate(n);
        randomize(b, random, awayFromZero);
        return b;
    }

    private static void randomize(Buffer buffer, SplittableRandom random, double awayFromZero) {
        RefBuffer b = ReferenceBackend.ref(buffer);
        for (int i = 0; i < b.length(); i++) {
            double v = random.nextDouble(-1, 1);
            b.set(i, Math.copySign(Math.abs(v) + awayFromZero, v));
        }
    }

}
