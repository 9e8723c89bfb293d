package ember.nn;

import java.util.Arrays;

/** A named parameter tensor's shape, as in a PyTorch state dict. */
public record ParamSpec(String name, int... shape) {
    public ParamSpec {
        shape = shape.clone();
    }

    public int size() {
        int n = 1;
        for (int d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
