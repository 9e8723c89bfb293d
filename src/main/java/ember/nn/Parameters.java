package ember.nn;

import ember.backend.Backend;
import ember.backend.Buffer;
import java.util.LinkedHashMap;
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
    private final Buffer values;
    private final Buffer grads;
    private final Map<String, Param> byName = new LinkedHashMap<>();

    public Parameters(Backend backend, List<ParamSpec> specs) {
        this.backend = backend;
        int total = 0;
        for (ParamSpec spec : specs) {
            total = Math.addExact(total, spec.size());
        }
        this.values = backend.allocate(total);
        this.grads = backend.allocate(total);
        int offset = 0;
        for (ParamSpec spec : specs) {
            Param p = new Param(spec, values.slice(offset, spec.size()), grads.slice(offset, spec.size()));
            if (byName.put(spec.name(), p) != null) {
                throw new IllegalArgumentException("duplicate parameter name " + spec.name());
            }
            offset += spec.size();
        }
    }

    public Param get(String name) {
        Param p = byName.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no parameter named " + name + "; have " + byName.keySet());
        }
        return p;
    }

    public List<Param> all() {
        return List.copyOf(byName.values());
    }

    public Buffer values() {
        return values;
    }

    public Buffer grads() {
        return grads;
    }

    public int count() {
        return values.length();
    }

    public void zeroGrads() {
        backend.fill(grads, 0f);
    }

    /** Host copies of every tensor, by name, in declaration order. */
    public Map<String, float[]> toHost() {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Param p : byName.values()) {
            float[] data = new float[p.spec().size()];
            backend.read(p.value(), data);
            out.put(p.spec().name(), data);
        }
        return out;
    }

    @Override
    public void close() {
        values.close();
        grads.close();
    }
}
