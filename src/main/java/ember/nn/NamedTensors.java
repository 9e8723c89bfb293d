package ember.nn;

import ember.backend.Backend;
import ember.backend.Buffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Named tensors laid out one after another in a single flat buffer, each reachable as a view:
 * one allocation, one fill, one copy for all of them.
 */
public final class NamedTensors implements AutoCloseable {
    private final Backend backend;
    private final Buffer all;
    private final Map<String, ParamSpec> specs = new LinkedHashMap<>();
    private final Map<String, Buffer> views = new LinkedHashMap<>();

    public NamedTensors(Backend backend, List<ParamSpec> specs) {
        this.backend = backend;
        int total = 0;
        for (ParamSpec spec : specs) {
            total = Math.addExact(total, spec.size());
        }
        this.all = backend.allocate(total);
        int offset = 0;
        for (ParamSpec spec : specs) {
            if (this.specs.put(spec.name(), spec) != null) {
                throw new IllegalArgumentException("duplicate tensor name " + spec.name());
            }
            views.put(spec.name(), all.slice(offset, spec.size()));
            offset += spec.size();
        }
    }

    public Buffer get(String name) {
        Buffer view = views.get(name);
        if (view == null) {
            throw new IllegalArgumentException("no tensor named " + name + "; have " + views.keySet());
        }
        return view;
    }

    public ParamSpec spec(String name) {
        get(name); // names the missing tensor
        return specs.get(name);
    }

    public List<ParamSpec> specs() {
        return List.copyOf(specs.values());
    }

    /** The flat buffer holding every tensor. */
    public Buffer all() {
        return all;
    }

    /** Host copies of every tensor, by name, in declaration order. */
    public Map<String, float[]> toHost() {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (var entry : views.entrySet()) {
            float[] data = new float[entry.getValue().length()];
            backend.read(entry.getValue(), data);
            out.put(entry.getKey(), data);
        }
        return out;
    }

    /** Writes every tensor from host arrays; names and sizes must match exactly. */
    public void fromHost(Map<String, float[]> values) {
        for (var entry : views.entrySet()) {
            float[] data = values.get(entry.getKey());
            if (data == null || data.length != entry.getValue().length()) {
                throw new IllegalArgumentException("tensor " + specs.get(entry.getKey()) + " is "
                        + (data == null ? "missing" : "of size " + data.length));
            }
            backend.write(entry.getValue(), data);
        }
    }

    @Override
    public void close() {
        all.close();
    }
}
