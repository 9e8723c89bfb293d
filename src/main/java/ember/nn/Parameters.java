package ember.nn;

import ember.backend.Backend;
import ember.backend.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Every trainable tensor of a model in two flat buffers, values and gradients, with a
 * named view of each. Zeroing gradients is one fill, an optimizer step is one op, and a
 * checkpoint is one read.
 */
public final class Parameters implements AutoCloseable {

    /** One tensor: its spec and its views into the flat value and gradient buffers. */
    public record Param(ParamSpec spec, Buffer value, Buffer grad) {}

    private final Backend backend;
    private final NamedTensors values;
    private final NamedTensors grads;

    public Parameters(Backend backend, List<ParamSpec> specs) {
        this.backend = backend;
        this.values = new NamedTensors(backend, specs);
        this.grads = new NamedTensors(backend, specs);
    }

    public Param get(String name) {
        return new Param(values.spec(name), values.get(name), grads.get(name));
    }

    public List<Param> all() {
        List<Param> out = new ArrayList<>();
        for (ParamSpec spec : values.specs()) {
            out.add(new Param(spec, values.get(spec.name()), grads.get(spec.name())));
        }
        return out;
    }

    public Buffer values() {
        return values.all();
    }

    public Buffer grads() {
        return grads.all();
    }

    public int count() {
        return values.all().length();
    }

    public void zeroGrads() {
        backend.fill(grads.all(), 0f);
    }

    /** Host copies of every tensor, by name, in declaration order. */
    public Map<String, float[]> toHost() {
        return values.toHost();
    }

    /** Writes every tensor's values from host arrays; names and sizes must match. */
    public void fromHost(Map<String, float[]> host) {
        values.fromHost(host);
    }

    @Override
    public void close() {
        values.close();
        grads.close();
    }
}
