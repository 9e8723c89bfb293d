package ember.nn;

import static ember.testing.GradientChecker.values;

import ember.backend.Buffer;
import ember.backend.reference.ReferenceBackend;
import ember.backend.reference.ReferenceBackend.RefBuffer;
import ember.testing.GradientChecker;
import java.util.SplittableRandom;
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
            Linear layer = new Linear(backend, params.get("fc.weight"), params.get("fc.bias"));
            randomize(params.values(), random, 0);
            checkLayer(layer, params, batch, random, 0);
        }
    }

    @ParameterizedTest(name = "width {0}, batch {1}")
    @CsvSource({"1, 1", "5, 3", "17, 2"})
    void relu(int width, int batch) {
        // Inputs stay at least 1e-2 from the kink at 0, far beyond the finite-difference step.
        checkLayer(new Relu(backend, width), null, batch, new SplittableRandom(width), 1e-2);
    }

    @ParameterizedTest(name = "width {0}, batch {1}")
    @CsvSource({"1, 1", "5, 3", "17, 2"})
    void tanh(int width, int batch) {
        checkLayer(new Tanh(backend, width), null, batch, new SplittableRandom(width + 100), 0);
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
            model.backward(x, model.outputGradient(batch), batch);
            GradientChecker.check("mlp parameters", ReferenceBackend.ref(model.parameters().values()),
                    values(ReferenceBackend.ref(model.parameters().grads())), () -> {
                        loss.forward(model.forward(x, batch), target, out);
                        return ReferenceBackend.ref(out).get(0);
                    });
        }
    }

    /** Checks dx and (when params is given) the parameter gradients of Σ w·layer(x). */
    private void checkLayer(Layer layer, Parameters params, int batch, SplittableRandom random, double awayFromZero) {
        try (Buffer x = random(batch * layer.inputWidth(), random, awayFromZero);
             Buffer y = backend.allocate(batch * layer.outputWidth());
             Buffer w = random(batch * layer.outputWidth(), random, 0);
             Buffer dx = backend.allocate(batch * layer.inputWidth())) {
            layer.forward(x, y, batch);
            if (params != null) {
                params.zeroGrads();
            }
            layer.backward(x, y, w, dx, batch);
            var objective = (java.util.function.DoubleSupplier) () -> {
                layer.forward(x, y, batch);
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
