package ember.faults;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Seeded damage to a file's bytes, the kinds disks, copies and downloads produce: cut short at
 * a random offset, random bits flipped, a range zeroed, a range duplicated (inserted again
 * after itself). {@link #next} draws one; the same seed draws the same sequence.
 */
final class Mutations {
    enum Kind {
        TRUNCATE, FLIP, ZERO, DUPLICATE;

        /** Whether the damage keeps the file's length (the formats check lengths). */
        boolean keepsLength() {
            return this == FLIP || this == ZERO;
        }
    }

    /** One damaged copy and what was done, for messages. */
    record Mutation(Kind kind, String what, byte[] bytes) {}

    private final SplittableRandom random;

    Mutations(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /** The {@code i}-th mutation cycles through the kinds, so each gets a quarter. */
    Mutation next(int i, byte[] intact) {
        Kind kind = Kind.values()[i % Kind.values().length];
        int n = intact.length;
        return switch (kind) {
            case TRUNCATE -> {
                int at = random.nextInt(n);
                yield new Mutation(kind, "cut at " + at + " of " + n, Arrays.copyOf(intact, at));
            }
            case FLIP -> {
                byte[] b = intact.clone();
                int flips = 1 + random.nextInt(4);
                StringBuilder where = new StringBuilder("flipped bits at");
                for (int f = 0; f < flips; f++) {
                    int at = random.nextInt(n);
                    b[at] ^= (byte) (1 << random.nextInt(8));
                    where.append(' ').append(at);
                }
                yield new Mutation(kind, where.toString(), b);
            }
            case ZERO -> {
                int from = random.nextInt(n), length = 1 + random.nextInt(Math.min(n - from, 64));
                byte[] b = intact.clone();
                Arrays.fill(b, from, from + length, (byte) 0);
                yield new Mutation(kind, "zeroed [" + from + ", " + (from + length) + ")", b);
            }
            case DUPLICATE -> {
                int from = random.nextInt(n), length = 1 + random.nextInt(Math.min(n - from, 64));
                byte[] b = new byte[n + length];
                System.arraycopy(intact, 0, b, 0, from + length);
                System.arraycopy(intact, from, b, from + length, n - from);
                yield new Mutation(kind, "duplicated [" + from + ", " + (from + length) + ")", b);
            }
        };
    }
}
